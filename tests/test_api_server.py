"""The Python API of verify, histories pull and ready: the functions the
commands call, returning the reports their --json prints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitrepo import make_repo, snapshot
from history_helpers import (
    HISTORIES_DIR,
    HISTORY_FILES,
    PATCH_ID,
    STAGE_MODULES,
    STAGES_DIR,
    stage_source,
)
from patchmod.cli import api


def test_verify_returns_the_report(tmp_path: Path) -> None:
    histories = tmp_path / "histories"
    histories.mkdir()
    for n in (2, 3):
        shutil.copy(HISTORIES_DIR / HISTORY_FILES[n], histories)
    report = api.verify(STAGES_DIR, histories, [f"{STAGE_MODULES[3]}:MyWorkflow"])
    assert isinstance(report, api.VerifyReport)
    assert report.ok and report.exit_code == 0 and report["counts"]["ok"] == 2
    assert {r["file"] for r in report["results"]} == {HISTORY_FILES[2], HISTORY_FILES[3]}
    with pytest.raises(api.PatchmodError, match="no such directory"):
        api.verify(STAGES_DIR, tmp_path / "missing")


def test_server_functions_say_when_the_server_cannot_be_reached(tmp_path: Path) -> None:
    down = api.ServerOptions(address="127.0.0.1:1")
    repo = make_repo(tmp_path / "repo", {"flows.py": stage_source(2)})
    with pytest.raises(api.PatchmodError, match="cannot reach Temporal at 127.0.0.1:1"):
        api.ready(repo, PATCH_ID, server=down)
    with pytest.raises(api.PatchmodError, match="cannot reach Temporal at 127.0.0.1:1"):
        api.histories_pull("WorkflowType = 'MyWorkflow'", tmp_path / "out", server=down)
    before = snapshot(repo)
    with pytest.raises(api.PatchmodError, match="cannot reach Temporal") as raised:
        api.deprecate(repo, PATCH_ID, require_ready=True, server=down, branch="never")
    assert raised.value.exit_code == 2 and not isinstance(raised.value, api.NotReady)
    assert snapshot(repo) == before


@pytest.mark.e2e
def test_ready_and_histories_pull_on_the_dev_server(temporal_server, tmp_path: Path) -> None:
    """No execution of the type: deprecate is safe, nothing to pull."""
    source = stage_source(2, "ApiNeverStarted")
    repo = make_repo(tmp_path / "repo", {"flows.py": source})
    server = api.ServerOptions(address=temporal_server.address)
    report = api.ready(repo, [PATCH_ID], server=server, stage="deprecate")
    assert isinstance(report, api.ReadinessReport)
    assert report.safe and report.exit_code == 0 and report["patches"][0]["stages"] == ["deprecate"]
    assert "retention" in report.note
    pulled = api.histories_pull("WorkflowType = 'ApiNeverStarted'", tmp_path / "out", server=server)
    assert isinstance(pulled, api.PullReport) and pulled["count"] == 0
    assert Path(pulled.out).is_dir()
