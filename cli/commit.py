"""One commit of exactly the given files, whatever else is staged or dirty."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Sequence

import git
from git.index.fun import stat_mode_to_index_mode
from patchmod.cli.errors import PatchmodError


def _git(repo: git.Repo, args: list[str], stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """Run git in the working tree; its stdout. Raises GitCommandError."""
    command = [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", *args]
    done = subprocess.run(command, cwd=repo.working_tree_dir, input=stdin, capture_output=True,
                          env={**os.environ, **(env or {})}, check=False)
    if done.returncode != 0:
        raise git.GitCommandError(command, done.returncode, done.stderr)
    return done.stdout.decode("utf-8", errors="surrogateescape")


def _index_info(repo: git.Repo, paths: list[str]) -> bytes:
    """`git update-index -z --index-info` records for the working-tree
    content of `paths`: each file stored as `git add` would store it (its
    attributes' filters and end-of-line conversion applied: a CRLF working
    tree of an LF repository commits LF, not every line changed), with the
    mode GitPython would give it."""
    root = repo.working_tree_dir
    modes: dict[str, int] = {}
    shas: dict[str, str] = {}
    files = []
    for path in paths:
        full = os.path.join(root, path)
        mode = stat_mode_to_index_mode(os.lstat(full).st_mode)
        modes[path] = mode
        if stat.S_ISLNK(mode):  # a symbolic link's blob is its target
            shas[path] = _git(repo, ["hash-object", "-w", "--stdin"], stdin=os.fsencode(os.readlink(full))).strip()
        else:
            files.append(path)
    for i in range(0, len(files), 500):
        chunk = files[i:i + 500]
        shas.update(zip(chunk, _git(repo, ["hash-object", "-w", "--", *chunk]).split()))
    return b"".join(f"{modes[path]:o} {shas[path]}\t".encode() + os.fsencode(path) + b"\0" for path in paths)


def commit_files(repo: git.Repo, paths: list[str], message: str) -> str:
    """Commit the working-tree content of `paths` (repository-relative) on
    top of HEAD and return the new commit's sha.

    The tree is HEAD's with only those paths replaced, built in a temporary
    index: whatever the user staged or left dirty elsewhere is neither
    committed nor unstaged. Call `sync_index` afterwards so that the real
    index takes the committed content for those paths.

    The tree is built by git itself (read-tree, update-index, write-tree
    on a scratch index file): GitPython's own index code reads and writes
    every entry in Python, which costs seconds in a large repository.
    """
    if not paths:
        raise ValueError("commit_files needs at least one path")
    try:
        parent = repo.head.commit
    except ValueError:
        raise PatchmodError("HEAD: the repository has no commit yet: commit the base code first") from None
    try:
        with tempfile.TemporaryDirectory(prefix="patchmod-index-") as scratch:
            env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
            _git(repo, ["read-tree", parent.hexsha], env=env)
            _git(repo, ["update-index", "--add", "-z", "--index-info"], stdin=_index_info(repo, paths), env=env)
            tree = _git(repo, ["write-tree"], env=env).strip()
        new = git.Commit.create_from_tree(repo, tree, message, parent_commits=[parent], head=True)
    except (git.GitCommandError, OSError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, git.GitCommandError) else str(exc)
        raise PatchmodError(
            f"git commit failed: {detail}; the rewritten files are on disk, not committed: "
            + ", ".join(paths)
        ) from None
    return new.hexsha


def check_index_unlocked(repo: git.Repo) -> None:
    """Refuse up front, as git would, while another git process holds the index."""
    lock = os.path.join(repo.git_dir, "index.lock")
    if os.path.exists(lock):
        raise PatchmodError(
            f"{lock}: exists: another git process seems to be running; "
            "if none is, remove the file and try again"
        )


def sync_index(repo: git.Repo, paths: list[str]) -> str | None:
    """Let the index hold the committed content of `paths` (other entries
    untouched), so that `git status` shows them clean. Returns a warning
    instead of failing: the commit is made already."""
    try:
        # As `git add` stores them (filters applied: the committed blobs),
        # with their stat data, so git status need not hash them again.
        for i in range(0, len(paths), 500):
            _git(repo, ["update-index", "--add", "--", *paths[i:i + 500]])
    except (git.GitCommandError, OSError) as exc:
        return (f"the index could not be updated ({exc}); "
                f"`git reset -q -- {' '.join(paths)}` makes it match the commit")
    return None


def commit_message(subject: str, body: str, trailers: list[tuple[str, str]]) -> str:
    """`subject`, a blank line, `body` (if any), a blank line, the trailers."""
    parts = [subject.strip()]
    if body.strip():
        parts.append(body.strip("\n"))
    parts.append("\n".join(f"{key}: {value}" for key, value in trailers))
    return "\n\n".join(parts) + "\n"


# The command's verb and the stage word its commit and changelog carry.
STAGES = {"introduce": "introduced", "deprecate": "deprecated", "remove": "removed"}


def stage_message(command: str, patch_ids: Sequence[str], body: str) -> str:
    """The message of a stage's commit: subject `patchmod: <command> ID [ID...]`,
    `body`, then one `Patch-Id: ID` trailer per id and `Patch-Stage: <stage>`."""
    return commit_message(
        f"patchmod: {command} {' '.join(patch_ids)}",
        body,
        [*(("Patch-Id", patch_id) for patch_id in patch_ids), ("Patch-Stage", STAGES[command])],
    )
