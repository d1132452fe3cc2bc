"""One commit of exactly the given files, whatever else is staged or dirty."""

from __future__ import annotations

import os
from collections.abc import Sequence

import git

from patchmod.cli.errors import PatchmodError


def commit_files(repo: git.Repo, paths: list[str], message: str) -> str:
    """Commit the working-tree content of `paths` (repository-relative) on
    top of HEAD and return the new commit's sha.

    The tree is HEAD's with only those paths replaced, built in a temporary
    index: whatever the user staged or left dirty elsewhere is neither
    committed nor unstaged. Call `sync_index` afterwards so that the real
    index takes the committed content for those paths.
    """
    if not paths:
        raise ValueError("commit_files needs at least one path")
    try:
        parent = repo.head.commit
    except ValueError:
        raise PatchmodError("HEAD: the repository has no commit yet: commit the base code first") from None
    try:
        scratch = git.IndexFile.from_tree(repo, "HEAD")
        scratch.add(paths, write=False)
        tree = scratch.write_tree()
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
        repo.index.add(paths)
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
