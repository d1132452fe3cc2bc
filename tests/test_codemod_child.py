"""The child process `patchmod introduce` rewrites in (cli/codemod_child.py):
it never outlives the command, and a child that dies costs nothing but time.
What it computes is pinned by every introduce fixture (test_introduce_fixtures
runs each case in it too)."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from patchmod.cli.codemod_child import CodemodChild

CASE = Path(__file__).resolve().parent.parent / "testdata" / "introduce" / "add_activity_call"
DATE = datetime.date(2026, 11, 21)


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie counts as gone: it runs nothing and init reaps it.
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.05)
    return False


def test_a_dead_child_leaves_the_rewrite_to_this_process() -> None:
    base, edited = (CASE / "base.py").read_text(), (CASE / "edited.py").read_text()
    child = CodemodChild()
    os.kill(child._process.pid, signal.SIGKILL)
    child._process.join()
    result = child.call("introduce_patch", base, edited, "new-feature-v1", date=DATE)
    assert not child.alive
    assert result.code == (CASE / "expected.py").read_text()
    child.close()


def test_the_child_ends_with_the_command_even_when_the_command_is_killed(tmp_path: Path) -> None:
    # A parent that starts the child, says its pid, and hangs: killed with
    # SIGKILL, it closes nothing; the child must notice and end by itself.
    script = ("import sys, time\n"
              "from patchmod.cli.codemod_child import CodemodChild\n"
              "child = CodemodChild()\n"
              "print(child._process.pid, flush=True)\n"
              "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        assert not _gone(child_pid, within=0.5), "the child should wait for work while the parent lives"
        parent.kill()
        parent.wait()
        assert _gone(child_pid), f"child {child_pid} outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()


def test_closing_ends_the_child() -> None:
    child = CodemodChild()
    pid = child._process.pid
    child.close()
    assert _gone(pid)
    assert not child.alive


def test_the_command_line_forks_only_where_it_is_safe_and_pays() -> None:
    # Forking a process that runs other threads can copy a lock some thread
    # holds: never then. Without other threads, on Linux with two cores or
    # more, the child starts (so introduce overlaps its two big imports).
    from patchmod.cli.workers import usable_cores

    script = ("import sys\n"
              "from patchmod.cli.codemod_child import CodemodChild\n"
              "child = CodemodChild.start_if_useful()\n"
              "print(child is not None)\n"
              "if child: child.close()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(sys.platform.startswith("linux") and usable_cores() >= 2)

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert CodemodChild.start_if_useful() is None
    finally:
        stop.set()
        other.join()
