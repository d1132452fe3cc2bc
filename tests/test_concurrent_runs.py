"""Two patchmod runs at once, and runs killed midway: real `patchmod`
processes on real repositories. A run is held still with SIGSTOP or ended
with SIGKILL by the test when it sees the run reach a point (its lock file,
the files it is about to write listed in it, a target replaced, a new
commit): no test hook inside patchmod.

The promises (README "Safety"): a second run on the same repository is
refused (exit 2) naming the first; a dead run's lock is taken over; a file
is always its old or its new version, never half of either; git can bring
the repository back, and a run after that finishes the job.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import GIT_ENV, git, head, make_repo, status
from patchmod.codemods.deprecate import deprecate_patches
from retire_repo import FRAUD, many_sources

N_FLOWS = 12  # deprecate with -j 1 takes a second or two: time to catch it


def patchmod(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "patchmod.cli.main", "-C", str(root), *args],
        env={**os.environ, **GIT_ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"patchmod ended ({process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.0005)


def lock_file(root: Path) -> Path:
    return root / ".git" / "patchmod.lock"


def lock_content(root: Path) -> dict:
    try:
        return json.loads(lock_file(root).read_text())
    except (OSError, ValueError):
        return {}


def held_by(root: Path, pid: int) -> Callable[[], bool]:
    return lambda: lock_content(root).get("pid") == pid


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", many_sources(N_FLOWS))


def test_a_second_run_is_refused_and_names_the_first(repo: Path) -> None:
    base = head(repo)
    first = patchmod(repo, "deprecate", FRAUD, "-j", "1")
    wait_until(held_by(repo, first.pid), first, "the first run holds the lock")
    os.kill(first.pid, signal.SIGSTOP)
    try:
        for args in (["deprecate", FRAUD], ["remove", FRAUD], ["introduce", "add-other-check-v1"]):
            code, out, err = finish(patchmod(repo, *args))
            assert code == 2, (args, out, err)
            assert "another patchmod run holds this repository" in err
            assert f"pid {first.pid} (`patchmod deprecate {FRAUD}`), started " in err
            assert "Traceback" not in err
        # A dry run and the read-only commands take no lock.
        assert finish(patchmod(repo, "deprecate", FRAUD, "--dry-run"))[0] == 0
        assert finish(patchmod(repo, "status"))[0] == 0
    finally:
        os.kill(first.pid, signal.SIGCONT)
    code, out, err = finish(first)
    assert code == 0, err
    assert git(repo, "rev-list", f"{base}..HEAD").split() == [head(repo)]  # one commit: the first run's
    assert not lock_file(repo).exists()
    assert status(repo) == ""


def test_the_lock_of_a_killed_run_is_taken_over(repo: Path) -> None:
    first = patchmod(repo, "deprecate", FRAUD, "-j", "1")
    wait_until(held_by(repo, first.pid), first, "the first run holds the lock")
    first.kill()
    first.wait()
    assert lock_file(repo).exists()  # left behind; nobody holds it
    code, out, err = finish(patchmod(repo, "deprecate", FRAUD))
    assert code == 0, err
    assert (f"took over the lock of an earlier patchmod run that did not finish: pid {first.pid} "
            f"(`patchmod deprecate {FRAUD}`)") in err
    assert not lock_file(repo).exists()
    assert status(repo) == ""


def expected_after_deprecate(repo: Path) -> dict[str, bytes]:
    today = datetime.date.today()
    return {path: deprecate_patches(text, [FRAUD], date=today).code.encode()
            for path, text in many_sources(N_FLOWS).items() if FRAUD in text}


def first_target_replaced(repo: Path, path: str, old_inode: int) -> Callable[[], bool]:
    def replaced() -> bool:
        try:
            return os.stat(repo / path).st_ino != old_inode
        except FileNotFoundError:  # never: os.replace leaves no gap
            raise AssertionError(f"{path} was missing for a moment") from None
    return replaced


@pytest.mark.parametrize("point", ["lock taken", "writing listed", "first file replaced", "committed"])
def test_a_run_killed_midway_leaves_each_file_old_or_new_and_git_recovers(repo: Path, point: str) -> None:
    old = {path: (repo / path).read_bytes() for path in expected_after_deprecate(repo)}
    new = expected_after_deprecate(repo)
    targets = sorted(new)
    base = head(repo)
    conditions = {
        "lock taken": lambda p: held_by(repo, p.pid),
        "writing listed": lambda p: lambda: bool(lock_content(repo).get("writing")),
        "first file replaced": lambda p: first_target_replaced(repo, targets[0], os.stat(repo / targets[0]).st_ino),
        "committed": lambda p: lambda: head(repo) != base,
    }
    run = patchmod(repo, "deprecate", FRAUD, "-j", "1")
    wait_until(conditions[point](run), run, point)
    run.kill()
    run.wait()

    # Every file is its old or its new version.
    print(point, "new:", sum((repo / p).read_bytes() == new[p] for p in targets), "of", len(targets),
          "temporary files:", len(list(repo.rglob("*.patchmod"))), "committed:", head(repo) != base)
    for path in targets:
        assert (repo / path).read_bytes() in (old[path], new[path]), path
    # A commit, if there is one, holds every rewrite.
    if head(repo) != base:
        for path in targets:
            assert git(repo, "show", f"HEAD:{path}").encode() == new[path]
    assert subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True).returncode == 0

    # What git offers brings the working tree and index back to HEAD...
    for _ in range(200):  # a git child of the killed run may still be finishing
        if not (repo / ".git" / "index.lock").exists():
            break
        time.sleep(0.05)
    git(repo, "reset", "-q", "--", *targets)
    git(repo, "checkout", "-q", "--", *targets)
    # ... and the next run takes the lock over, clears the dead run's
    # temporary files and finishes the job.
    code, out, err = finish(patchmod(repo, "deprecate", FRAUD))
    assert code == 0, err
    assert "took over the lock of an earlier patchmod run" in err
    for path in targets:
        assert (repo / path).read_bytes() == new[path], path
    assert status(repo) == ""
    assert not list(repo.rglob("*.patchmod"))
    assert not lock_file(repo).exists()
