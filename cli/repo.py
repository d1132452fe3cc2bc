"""Git through GitPython: the repository, revisions, changed files, used ids.

Every git failure a user can cause becomes a `PatchmodError` naming what is
wrong; nothing here prints.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git
from patchmod.cli.errors import PatchmodError
from patchmod.codemods.patch_ids import history_ids


def open_repo(start: str | os.PathLike[str]) -> git.Repo:
    """The repository holding `start` (searching upwards, as git does)."""
    where = os.fspath(start)
    if not os.path.isdir(where):
        raise PatchmodError(f"{where}: no such directory")
    try:
        repo = git.Repo(where, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PatchmodError(f"{where}: not a git repository (or any of its parents)") from None
    if repo.bare or repo.working_tree_dir is None:
        raise PatchmodError(f"{where}: a bare repository has no working tree to rewrite")
    return repo


def root_of(repo: git.Repo) -> Path:
    return Path(os.path.realpath(repo.working_tree_dir))


def resolve_commit(repo: git.Repo, rev: str) -> str:
    """Full sha of the commit `rev` names, or an error saying it names none."""
    if not rev or rev.startswith("-"):
        raise PatchmodError(f"{rev!r}: not a revision")
    try:
        return repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except git.GitCommandError:
        if rev == "HEAD":
            raise PatchmodError("HEAD: the repository has no commit yet: commit the base code first") from None
        raise PatchmodError(f"{rev}: unknown revision (no commit by that name)") from None


def read_blob(repo: git.Repo, sha: str, path: str) -> bytes | None:
    """The bytes of `path` (repository-relative, '/'-separated) at commit `sha`,
    or None when the commit has no such file."""
    if "\n" not in path:  # one line to `git cat-file --batch`, no tree walk
        try:
            _, kind, _, data = repo.git.get_object_data(f"{sha}:{path}")
        except ValueError:  # "<sha>:<path> missing"
            return None
        return data if kind == b"blob" else None
    try:
        obj = repo.commit(sha).tree / path
    except KeyError:
        return None
    if obj.type != "blob":
        return None
    return obj.data_stream.read()


def changed_python_files(repo: git.Repo, base_sha: str) -> list[str]:
    """Tracked .py files whose working-tree content differs from `base_sha`
    (changed, deleted, or no longer tracked; renames split into a deletion
    and an addition). Repository-relative paths, sorted."""
    out = repo.git.diff("--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", base_sha, "--", "*.py",
                        strip_newline_in_stdout=False, stdout_as_string=False)
    return sorted({p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p})


def target_paths(repo: git.Repo, start: str | os.PathLike[str], changed: list[str],
                 paths: list[str] | None) -> list[str]:
    """Repository-relative .py files to look at: the given ones (folders
    expand to their `changed` .py files) or every `changed` one."""
    if not paths:
        return changed
    root = root_of(repo)
    out: list[str] = []
    for given in paths:
        rel = relative_path(repo, start, given)
        full = root / rel
        if full.is_dir():
            out.extend(p for p in changed if rel == "." or p.startswith(rel + "/"))
        elif full.is_file():
            out.append(rel)
        else:
            raise PatchmodError(f"{given}: no such file or directory")
    return sorted(dict.fromkeys(out))


def relative_path(repo: git.Repo, start: str | os.PathLike[str], path: str) -> str:
    """`path` (relative to `start`, as a user typed it) relative to the
    repository root, '/'-separated; an error when it lies outside."""
    root = root_of(repo)
    absolute = Path(os.path.realpath(os.path.join(os.fspath(start), path)))
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        raise PatchmodError(f"{path}: outside the repository {root}") from None
    return rel.as_posix() if rel.parts else "."


@dataclass(frozen=True)
class KnownUse:
    """A place that already uses a patch id: a line of a file, or a commit."""

    file: str | None  # "path" or "path@REV"; None for a commit
    line: int | None
    commit: str | None
    what: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else f"commit {self.commit[:12]}"

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _code_pattern(patch_id: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:patched|deprecate_patch)\(\s*(?:[rRuU])?(['\"])" + re.escape(patch_id) + r"\1")


def _grep(repo: git.Repo, patch_id: str, rev: str | None, paths: list[str] | None = None) -> list[tuple[str, int, str]]:
    """(path, line, text) of every tracked .py line holding `patch_id`,
    in the working tree or, with `rev`, in that commit (only in `paths`,
    when given)."""
    args = ["-n", "-z", "-I", "--no-color", "--full-name", "-F", "-e", patch_id]
    if rev:
        args.append(rev)
    args += ["--", *([f":(literal){p}" for p in paths] if paths is not None else ["*.py"])]
    try:
        out = repo.git.grep(*args, strip_newline_in_stdout=False, stdout_as_string=False)
    except git.GitCommandError as exc:
        if exc.status == 1:  # no match
            return []
        raise PatchmodError(f"git grep failed: {exc.stderr.strip() or exc}") from None
    hits = []
    prefix = f"{rev}:" if rev else ""
    for line in out.decode("utf-8", errors="replace").split("\n"):
        if prefix and line.startswith(prefix):
            line = line[len(prefix):]
        path, sep, rest = line.partition("\0")
        lineno, sep2, text = rest.partition("\0")
        if sep and sep2 and lineno.isdigit():
            hits.append((path, int(lineno), text))
    return hits


def known_uses(repo: git.Repo, patch_id: str, base_rev: str | None = None,
               base_label: str | None = None, differing: list[str] | None = None) -> list[KnownUse]:
    """Where the code, a `Versioning History` or a `Patch-Id:` trailer already
    names `patch_id`: in the working tree's tracked .py files, in those of
    `base_rev` (shown as `path@base_label`), and in every commit reachable
    from any ref. `differing` is `changed_python_files(repo, base_rev)` when
    the caller has it already."""
    uses: list[KnownUse] = []
    seen: set[str] = set()
    code = _code_pattern(patch_id)
    sources: list[tuple[str | None, str, list[str] | None]] = [(None, "", None)]
    if base_rev:
        # A file the same in base_rev and the working tree holds the same
        # lines in both: grep the base only where they differ (reading a
        # whole revision's blobs costs as much as the rest together).
        if differing is None:
            differing = changed_python_files(repo, base_rev)
        if differing:
            sources.append((base_rev, f"@{base_label or base_rev}", differing))
    for rev, label, only in sources:
        for path, lineno, text in _grep(repo, patch_id, rev, only):
            if code.search(text):
                what = f"patch id {patch_id!r} is already in the code"
            elif patch_id in history_ids(text):
                what = f"patch id {patch_id!r} is already in a Versioning History"
            else:
                continue
            key = f"{path}:{lineno}:{text}"
            if rev and key in seen:  # same line as in the working tree
                continue
            seen.add(key)
            uses.append(KnownUse(f"{path}{label}", lineno, None, what))
    try:
        log = repo.git.log(
            "--all", "-F", f"--grep=Patch-Id: {patch_id}",
            "--format=%H%x00%(trailers:key=Patch-Id,valueonly,separator=%x00)%x01",
            stdout_as_string=False,
        ).decode("utf-8", errors="replace")
    except git.GitCommandError:
        log = ""  # a repository without commits has no history to search
    for record in log.split("\x01"):
        sha, _, trailers = record.strip().partition("\0")
        if sha and patch_id in [t.strip() for t in trailers.split("\0")]:
            uses.append(KnownUse(None, None, sha, f"patch id {patch_id!r} is in its Patch-Id trailer"))
    return uses


def pathspecs(repo: git.Repo, start: str | os.PathLike[str], paths: list[str] | None) -> list[str]:
    """Git pathspecs for the .py files to search.

    No `paths`: every `*.py`. Otherwise each given folder or .py file
    (relative to `start`), taken literally; an error when one does not
    exist, lies outside the repository, or is a file git does not track or
    not a .py file.
    """
    if not paths:
        return ["*.py"]
    root = root_of(repo)
    specs: list[str] = []
    for given in paths:
        rel = relative_path(repo, start, given)
        full = root / rel
        if not full.exists():
            raise PatchmodError(f"{given}: no such file or directory")
        spec = "." if rel == "." else f":(literal){rel}"
        if full.is_file():
            if not rel.endswith(".py"):
                raise PatchmodError(f"{given}: not a Python file (.py)")
            if not repo.git.ls_files("-z", "--", spec):
                raise PatchmodError(f"{given}: not tracked by git (only tracked files are rewritten)")
        specs.append(spec)
    return specs


def files_mentioning(repo: git.Repo, texts: list[str], specs: list[str]) -> list[str]:
    """Tracked .py files (working-tree content) under `specs` that contain
    any of `texts` literally, sorted.

    The cheap text prefilter: one `git grep -l` instead of reading every file.
    """
    args = ["-l", "-z", "-I", "--full-name", "--no-color", "-F"]
    for text in texts:
        args += ["-e", text]
    try:
        out = repo.git.grep(*args, "--", *specs, strip_newline_in_stdout=False, stdout_as_string=False)
    except git.GitCommandError as exc:
        if exc.status == 1:  # no match
            return []
        raise PatchmodError(f"git grep failed: {exc.stderr.strip() or exc}") from None
    found = (p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p)
    return sorted({p for p in found if p.endswith(".py")})


def uncommitted_paths(repo: git.Repo) -> set[str]:
    """Tracked paths whose index or working tree differs from HEAD (staged,
    unstaged, deleted, renamed, unmerged), repository-relative."""
    # No optional locks: a dry run must not even refresh the index.
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=no", "--no-renames",
                          env={"GIT_OPTIONAL_LOCKS": "0"},
                          strip_newline_in_stdout=False, stdout_as_string=False)
    entries = out.decode("utf-8", errors="surrogateescape").split("\0")
    dirty: set[str] = set()
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        dirty.add(entry[3:])
        if entry[0] in "RC":  # the source path follows
            dirty.add(entries[i])
            i += 1
    return dirty


@dataclass(frozen=True)
class PatchCommit:
    """A commit with `Patch-Id:` trailers: what patchmod itself committed."""

    sha: str
    date: str  # the author's calendar date, YYYY-MM-DD
    patch_ids: tuple[str, ...]
    stage: str  # the Patch-Stage trailer: introduced, deprecated, removed ("" if absent)


def patch_commits(repo: git.Repo, specs: list[str] | None = None) -> list[PatchCommit]:
    """Commits reachable from HEAD that carry `Patch-Id:` trailers (and touch
    `specs`, when given), newest first. None in a repository without commits."""
    fmt = ("%H%x02%as%x02%(trailers:key=Patch-Id,valueonly,separator=%x01)"
           "%x02%(trailers:key=Patch-Stage,valueonly,separator=%x01)%x03")
    try:
        out = repo.git.log("HEAD", "-E", "--grep=^Patch-Id:", f"--format={fmt}", "--", *(specs or []),
                           stdout_as_string=False)
    except git.GitCommandError:
        return []  # no commit yet
    commits = []
    for record in out.decode("utf-8", errors="replace").split("\x03"):
        fields = record.strip("\n").split("\x02")
        if len(fields) != 4 or not fields[0]:
            continue
        ids = tuple(dict.fromkeys(i.strip() for i in fields[2].split("\x01") if i.strip()))
        stages = [s.strip() for s in fields[3].split("\x01") if s.strip()]
        if ids:
            commits.append(PatchCommit(fields[0].strip(), fields[1].strip(), ids, stages[-1] if stages else ""))
    return commits


def first_added(repo: git.Repo, text: str, specs: list[str] | None = None) -> str | None:
    """The date (YYYY-MM-DD) of the oldest commit reachable from HEAD that
    changed how often `text` occurs (`git log -S`), or None."""
    try:
        out = repo.git.log("HEAD", "--reverse", "--format=%as", f"-S{text}", "--", *(specs or ["*.py"]))
    except git.GitCommandError:
        return None
    lines = out.split()
    return lines[0] if lines else None


def check_new_branch(repo: git.Repo, name: str) -> None:
    """Refuse a `--branch` name git would not take, or one that exists."""
    if not name or name.startswith("-") or name == "HEAD" or name.strip() != name:
        raise PatchmodError(f"--branch {name!r}: not a valid branch name")
    try:
        repo.git.check_ref_format(f"refs/heads/{name}")
    except git.GitCommandError:
        raise PatchmodError(f"--branch {name!r}: not a valid branch name") from None
    try:
        repo.git.show_ref("--verify", "--quiet", f"refs/heads/{name}")
    except git.GitCommandError:
        return  # no such branch: good
    raise PatchmodError(f"--branch {name}: the branch exists already; pick another name "
                        f"(or delete it: git branch -D {name})")


@contextmanager
def on_new_branch(repo: git.Repo, name: str | None) -> Iterator[None]:
    """Create branch `name` at HEAD and check it out for the block (nothing
    to do when `name` is None). HEAD's commit, the index and the working
    tree stay as they are, so uncommitted work is carried along untouched.
    If the block raises, HEAD goes back where it was and the branch is
    deleted; the exception goes on."""
    if name is None:
        yield
        return
    check_new_branch(repo, name)
    previous = None if repo.head.is_detached else repo.head.reference
    commit = repo.head.commit
    try:
        branch = repo.create_head(name, commit)
        repo.head.reference = branch
    except (git.GitCommandError, OSError, ValueError) as exc:
        raise PatchmodError(f"--branch {name}: cannot create the branch: {exc}") from None
    try:
        yield
    except BaseException:
        repo.head.reference = previous if previous is not None else commit
        repo.delete_head(branch, force=True)
        raise
