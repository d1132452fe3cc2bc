"""What every command that writes (introduce, deprecate, remove) checks and
holds around its work, in one place: `@writing_command` on the API function.

- A merge, rebase, cherry-pick, revert, `git am` or bisect in progress:
  refused (exit 2) before anything is read or written.
- One patchmod run at a time per working tree: `.git/patchmod.lock`,
  created with O_EXCL and held with `flock` for the whole run. A second run
  is refused, naming the holder (pid, command, start time). A lock left by
  a run that died (nobody holds its `flock`) is taken over, with a warning
  that names the files that run was writing and how to get each one's old
  content back from git.
- Before the files are replaced, their current content is stored in git's
  object database (`git hash-object -w`) and the lock file lists each
  path with that blob: whatever kills a run, no byte of anyone's work is
  only on disk in a half-done state (see `files.write_all`: each file is
  replaced atomically, so it is old or new).
- A commit made on a detached HEAD is reported (a warning): it is on no
  branch.

A dry run takes no lock and writes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import fcntl
import functools
import inspect
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
from patchmod.cli import files
from patchmod.cli import repo as repo_mod
from patchmod.cli.errors import PatchmodError

LOCK_NAME = "patchmod.lock"

# (file or folder in the git dir, what is in progress, how to end it)
UNFINISHED = [
    ("rebase-merge", "a rebase", "git rebase --continue / --abort"),
    ("rebase-apply", "a rebase or `git am`", "git rebase --continue / --abort, or git am --continue / --abort"),
    ("MERGE_HEAD", "a merge", "git commit / git merge --abort"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue / --abort"),
    ("REVERT_HEAD", "a revert", "git revert --continue / --abort"),
    ("BISECT_LOG", "a bisect", "git bisect reset"),
]

# How long a run waits for the lock of a holder whose process is gone but
# whose worker processes (forked with the lock open) may still be exiting.
ORPHAN_WAIT = 3.0


def refuse_unfinished_operation(repo: git.Repo) -> None:
    """PatchmodError while git is in the middle of a multi-step operation:
    a commit now would land in the middle of it."""
    git_dir = Path(repo.git_dir)
    for name, what, how in UNFINISHED:
        if (git_dir / name).exists():
            raise PatchmodError(
                f"{git_dir / name}: {what} is in progress; finish or abort it first ({how})"
            )


# --- the lock ---------------------------------------------------------------------


@dataclass
class LockHolder:
    """What a lock file says about the run that holds (or held) it."""

    pid: int | None = None
    host: str = ""
    command: str = ""
    started: str = ""
    writing: list[dict] = field(default_factory=list)  # {"path", "old_blob"}

    @classmethod
    def parse(cls, text: str) -> LockHolder:
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        pid = data.get("pid")
        writing = data.get("writing")
        return cls(
            pid=pid if isinstance(pid, int) else None,
            host=str(data.get("host", "")),
            command=str(data.get("command", "")),
            started=str(data.get("started", "")),
            writing=[w for w in writing if isinstance(w, dict) and isinstance(w.get("path"), str)]
            if isinstance(writing, list) else [],
        )

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        if self.host and self.host != socket.gethostname():
            who += f" on {self.host}"
        what = f" (`{self.command}`)" if self.command else ""
        since = f", started {self.started}" if self.started else ""
        return f"{who}{what}{since}"

    def as_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "command": self.command,
                           "started": self.started, "writing": self.writing}, indent=1) + "\n"


def _pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RepositoryLock:
    """`.git/patchmod.lock`, held (O_EXCL file plus `flock`) by this process."""

    def __init__(self, repo: git.Repo, path: Path, fd: int, holder: LockHolder, stale: LockHolder | None):
        self.repo = repo
        self.path = path
        self._fd = fd
        self.holder = holder
        self.stale = stale  # the dead run whose lock was taken over, if any
        self.cleaned: list[str] = []  # its temporary files, removed

    @classmethod
    def acquire(cls, repo: git.Repo, command: str) -> RepositoryLock:
        path = Path(repo.git_dir) / LOCK_NAME
        deadline = None
        for _ in range(100):
            created = True
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except FileExistsError:
                created = False
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue  # released in between: try to create it again
            except OSError as exc:
                raise PatchmodError(f"{path}: cannot create the lock file: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = LockHolder.parse(_read_fd(fd))
                os.close(fd)
                if not _pid_alive(holder.pid) and holder.host in ("", socket.gethostname()):
                    # The holder is gone; the processes it forked may still
                    # hold the file open for a moment.
                    deadline = deadline or time.monotonic() + ORPHAN_WAIT
                    if time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                raise PatchmodError(
                    f"{path}: another patchmod run holds this repository: {holder.describe()}; "
                    "wait for it to finish (the file goes away by itself when it does)"
                ) from None
            # Locked; but the file may have been released (unlinked) and
            # replaced between our open and our flock.
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            stale = None if created else LockHolder.parse(_read_fd(fd))
            holder = LockHolder(pid=os.getpid(), host=socket.gethostname(), command=command,
                                started=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
            lock = cls(repo, path, fd, holder, stale)
            lock._save()
            if stale is not None:
                lock.cleaned = _remove_temporary_files(repo_mod.root_of(repo), stale.writing)
            return lock
        raise PatchmodError(f"{path}: could not take the lock (it keeps changing hands); try again")

    def _save(self) -> None:
        data = self.holder.as_json().encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)
        os.fsync(self._fd)

    def note_writing(self, root: Path, paths: Sequence[str]) -> None:
        """Store the current content of `paths` as git blobs and list them in
        the lock file, before they are replaced."""
        existing = [p for p in paths if os.path.lexists(root / p)]
        blobs = _hash_objects(self.repo, existing)
        self.holder.writing = [{"path": p, "old_blob": blobs.get(p)} for p in paths]
        self._save()

    def release(self) -> None:
        if self._fd < 0:
            return
        try:
            # Unlinked while still locked: whoever opened the old file finds
            # it gone after our close and starts again.
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        finally:
            os.close(self._fd)
            self._fd = -1

    def takeover_lines(self) -> list[str]:
        """The warning about the dead run whose lock this one took over."""
        if self.stale is None:
            return []
        lines = [f"{self.path}: took over the lock of an earlier patchmod run that did not finish: "
                 f"{self.stale.describe()}"]
        for entry in self.stale.writing:
            blob = entry.get("old_blob")
            restore = (f"if it is not what you want, `git cat-file blob {blob} > {entry['path']}` "
                       f"brings back its content from before that run") if blob else "it did not exist before"
            lines.append(f"{entry['path']}: that run was replacing this file (it is either "
                         f"the old or the new version, never half of either); {restore}")
        for path in self.cleaned:
            lines.append(f"{path}: removed, a temporary file that run left behind")
        if self.stale.writing:
            lines.append("`git status` and `git diff` show what it left uncommitted")
        return lines


def _read_fd(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _hash_objects(repo: git.Repo, paths: list[str]) -> dict[str, str]:
    """Each regular file's bytes, exactly (no filters), written as a git blob."""
    blobs: dict[str, str] = {}
    root = repo_mod.root_of(repo)
    regular = [p for p in paths if (root / p).is_file() and not (root / p).is_symlink()]
    for i in range(0, len(regular), 500):
        chunk = regular[i:i + 500]
        try:
            out = repo.git.hash_object("-w", "--no-filters", "--", *chunk)
        except git.GitCommandError as exc:
            raise PatchmodError(f"cannot store the files' current content in git before "
                                f"rewriting them: {exc.stderr.strip() or exc}") from None
        blobs.update(zip(chunk, out.split()))
    return blobs


def _remove_temporary_files(root: Path, writing: list[dict]) -> list[str]:
    """The temporary files (`files.TEMP_PREFIX`...`files.TEMP_SUFFIX`) a dead
    run left next to the files it was writing; removed, their paths returned."""
    removed = []
    for entry in writing:
        target = root / entry["path"]
        try:
            folder = target.parent.resolve()
            folder.relative_to(root)
        except (OSError, ValueError):
            continue
        for leftover in sorted(folder.glob(files.temporary_pattern(target.name))):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
                removed.append(leftover.relative_to(root).as_posix())
    return removed


_current: contextvars.ContextVar[RepositoryLock | None] = contextvars.ContextVar("patchmod_lock", default=None)


@contextlib.contextmanager
def holding_lock(repo: git.Repo, command: str) -> Iterator[RepositoryLock]:
    lock = RepositoryLock.acquire(repo, command)
    token = _current.set(lock)
    journal = files.JOURNAL.set(lambda root, paths: lock.note_writing(Path(root), paths))
    try:
        yield lock
    finally:
        files.JOURNAL.reset(journal)
        _current.reset(token)
        lock.release()


# --- the decorator ------------------------------------------------------------------


def _command_line(name: str, arguments: dict[str, Any]) -> str:
    ids = arguments.get("patch_ids", arguments.get("patch_id"))
    ids = [ids] if isinstance(ids, str) else list(ids or [])
    return " ".join(["patchmod", name, *map(str, ids)])


def _add_warning(report: Any, line: str) -> None:
    report.warnings.append({"file": None, "line": None, "message": line})
    report.warning_lines.append(f"warning: {line}")


def writing_command(name: str | None = None) -> Callable:
    """Wrap an API function that rewrites files (its arguments include
    `repo_path` and `dry_run`; `command` when `name` is None): refuse during
    an unfinished git operation, hold the repository's lock, and add the
    lock's takeover and a detached HEAD's warnings to the report."""

    def wrap(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            try:
                repo = repo_mod.open_repo(os.fspath(arguments["repo_path"]))
            except PatchmodError:
                return fn(*args, **kwargs)  # it reports the problem in its own words
            refuse_unfinished_operation(repo)
            if arguments.get("dry_run"):
                return fn(*args, **kwargs)
            command = name or arguments["command"]
            with holding_lock(repo, _command_line(command, arguments)) as lock:
                try:
                    report = fn(*args, **kwargs)
                except PatchmodError as exc:
                    for line in lock.takeover_lines():  # said even when the run is refused
                        exc.lines.append(f"warning: {line}")
                        exc.errors.append({"file": None, "line": None, "message": f"warning: {line}"})
                    raise
            for line in lock.takeover_lines():
                _add_warning(report, line)
            if getattr(report, "commit", None) and repo.head.is_detached:
                _add_warning(report, f"HEAD is detached: commit {report.commit[:12]} is on no branch; "
                                     f"`git switch -c NAME` puts it on a new one")
            return report

        return run

    return wrap


def partly_staged(repo: git.Repo, paths: Sequence[str]) -> list[str]:
    """Those of `paths` whose staged content differs both from HEAD and from
    the working tree: some of the file's changes are staged, some not."""
    if not paths:
        return []

    def names(*args: str) -> set[str]:
        out = repo.git.diff(*args, "--name-only", "-z", "--no-renames", "--no-ext-diff", "--",
                            *(f":(literal){p}" for p in paths),
                            env={"GIT_OPTIONAL_LOCKS": "0"}, strip_newline_in_stdout=False)
        return {p for p in out.split("\0") if p}

    try:
        staged = names("--cached", "HEAD")
        unstaged = names() if staged else set()
    except git.GitCommandError:
        return []  # no HEAD: nothing is staged against it
    return sorted(staged & unstaged)


def links_outside(repo: git.Repo, specs: list[str]) -> list[tuple[str, str]]:
    """(path, where it points) of each tracked `.py` path under `specs` that
    is a symbolic link in the working tree (committed as one, or a file
    replaced by one) pointing outside the repository or nowhere. `git grep`
    does not follow them, and patchmod never writes through them."""
    root = repo_mod.root_of(repo)
    try:
        staged = repo.git.ls_files("-s", "-z", "--", *specs, strip_newline_in_stdout=False)
        retyped = repo.git.diff_files("--name-only", "-z", "--diff-filter=T", "--", *specs,
                                      env={"GIT_OPTIONAL_LOCKS": "0"}, strip_newline_in_stdout=False)
    except git.GitCommandError:
        return []
    paths = {entry.split("\t", 1)[1] for entry in staged.split("\0")
             if entry.startswith("120000 ") and "\t" in entry}
    paths.update(p for p in retyped.split("\0") if p)
    found = []
    for path in sorted(p for p in paths if p.endswith(".py")):
        full = root / path
        if not full.is_symlink():
            continue
        where = Path(os.path.realpath(full))
        if root in where.parents and where.exists():
            continue  # inside: the file it points to is looked at in its own right
        found.append((path, os.readlink(full)))
    return found
