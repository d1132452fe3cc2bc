"""Real git repositories in temporary folders, for tests of the commands.

    repo = make_repo(tmp_path / "repo", {"workflows/order.py": BASE})
    write(repo, "workflows/order.py", EDITED)
    before = snapshot(repo)
    ... run a command that must refuse ...
    assert snapshot(repo) == before
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Commits made by tests must not depend on the machine's git settings
# (signing, hooks, templates, default branch).
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in `repo` and return its stdout (text, unstripped)."""
    done = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV},
        capture_output=True, text=True, check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def write(repo: Path, path: str, text: str | bytes) -> Path:
    """Write `text` to `repo/path` exactly (no newline translation)."""
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return target


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return head(repo)


def make_repo(root: Path, files: dict[str, str | bytes], message: str = "base") -> Path:
    """A new repository at `root` (branch main) holding `files` in one commit.

    The author and committer are set in the repository's own config too, so
    that GitPython (which reads it, not our environment) commits the same way.
    """
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Author")
    git(root, "config", "user.email", "author@example.com")
    git(root, "config", "commit.gpgsign", "false")
    for path, text in files.items():
        write(root, path, text)
    commit_all(root, message)
    return root


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def trailers(repo: Path, rev: str = "HEAD") -> list[tuple[str, str]]:
    """The commit's trailers, as `git interpret-trailers --parse` reads them."""
    message = git(repo, "log", "-1", "--format=%B", rev)
    done = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, cwd=repo,
        env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True,
    )
    pairs = []
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        pairs.append((key.strip(), value.strip()))
    return pairs


def committed_files(repo: Path, rev: str = "HEAD") -> list[str]:
    """Paths the commit changed against its first parent."""
    out = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", f"{rev}^", rev)
    return sorted(out.split())


def file_at(repo: Path, rev: str, path: str) -> bytes:
    done = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True, check=True)
    return done.stdout


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused command must leave as it was."""

    head: str
    status: str
    index: str
    files: dict[str, bytes]
    refs: str


def snapshot(repo: Path) -> Snapshot:
    files = {}
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts or not path.is_file():
            continue
        files[path.relative_to(repo).as_posix()] = path.read_bytes()
    return Snapshot(
        head=head(repo),
        status=status(repo),
        index=git(repo, "ls-files", "--stage"),
        files=files,
        refs=git(repo, "for-each-ref"),
    )
