"""Round trip on real code: the installed sources of temporalio and its
dependencies (temporalio, google.protobuf, nexusrpc, typing_extensions:
every .py file of them, about 440 files and 6 MB, generated protobuf
modules and the SDK's own `workflow.patched` among them) committed to a
temporary repository.

`deprecate` and `remove` of ids that are no patch there change zero bytes
(one absent everywhere; one, `workflow`, spelled by most files, so each of
those is read and parsed); `status` and `check` do not crash; the status
inventory reads every file without raising.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sysconfig
import time
from pathlib import Path

import pytest
from gitrepo import git, make_repo, status
from patchmod.codemods.inventory import inventory
from retire_repo import run

PACKAGES = ["temporalio", "google/protobuf", "nexusrpc", "typing_extensions.py"]


def installed(top: str) -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / top


@pytest.fixture(scope="module")
def sdk_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sdk") / "repo"
    for top in PACKAGES:
        source = installed(top)
        if not source.exists():
            pytest.fail(f"{source}: not installed (a dependency of temporalio)")
        files = [source] if source.is_file() else sorted(source.rglob("*.py"))
        for path in files:
            rel = path.relative_to(installed(""))
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, root / rel)
    return make_repo(root, {}, message="installed sources")


def fingerprint(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def test_absent_ids_change_zero_bytes_and_status_does_not_crash(sdk_repo: Path) -> None:
    started = time.monotonic()
    before = fingerprint(sdk_repo)
    assert len(before) > 400
    head = git(sdk_repo, "rev-parse", "HEAD")

    for args in (["deprecate", "absent-id-v1"], ["remove", "absent-id-v1"],
                 ["deprecate", "workflow"], ["remove", "workflow"]):
        result = run("-C", sdk_repo, *args)
        assert result.exit_code == 0, (args, result.stderr)
        assert result.stdout.startswith("nothing to do: "), (args, result.stdout)
        assert "Traceback" not in result.stderr

    result = run("-C", sdk_repo, "status", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["files_scanned"] > 0
    assert report["patches"] == []  # the SDK defines patched(); it calls no patch
    assert run("-C", sdk_repo, "status").exit_code == 0
    result = run("-C", sdk_repo, "check")
    assert result.exit_code == 0, result.stderr

    assert fingerprint(sdk_repo) == before
    assert git(sdk_repo, "rev-parse", "HEAD") == head
    assert status(sdk_repo) == ""
    assert time.monotonic() - started < 60


def test_the_status_inventory_reads_every_file(sdk_repo: Path) -> None:
    for path in sorted(sdk_repo.rglob("*.py")):
        found = inventory(path.read_text(encoding="utf-8"))
        assert not found.sites, path
