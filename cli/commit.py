"""One commit of exactly the given files, whatever else is staged or dirty."""

from __future__ import annotations

import git

from patchmod.cli.errors import PatchmodError


def commit_files(repo: git.Repo, paths: list[str], message: str) -> str:
    """Commit the working-tree content of `paths` (repository-relative) on
    top of HEAD and return the new commit's sha.

    The tree is HEAD's with only those paths replaced, built in a temporary
    index: whatever the user staged or left dirty elsewhere is neither
    committed nor unstaged. Afterwards the real index takes the committed
    content for those paths, so `git status` shows them clean.
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
        repo.index.add(paths)
    except git.GitCommandError as exc:
        raise PatchmodError(f"git commit failed: {exc.stderr.strip() or exc}") from None
    return new.hexsha


def commit_message(subject: str, body: str, trailers: list[tuple[str, str]]) -> str:
    """`subject`, a blank line, `body` (if any), a blank line, the trailers."""
    parts = [subject.strip()]
    if body.strip():
        parts.append(body.strip("\n"))
    parts.append("\n".join(f"{key}: {value}" for key, value in trailers))
    return "\n\n".join(parts) + "\n"
