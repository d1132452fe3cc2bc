"""patchmod as a library: what the commands do, without a terminal.

    from patchmod.cli.api import introduce, deprecate, remove
    result = introduce("path/to/repo", "add-fraud-check-v1")
    print(result["commit"], result["regions"])
    result = deprecate("path/to/repo", ["add-fraud-check-v1", "new-tax-rules-v2"])
    print(result["commit"], result["sites"])

Problems (bad input, a refusal) raise `PatchmodError`; nothing is written
or committed then. The command line is a thin layer over these functions.
"""

from __future__ import annotations

import datetime
import importlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from patchmod.cli import commit as commit_mod
from patchmod.cli import files, safety
from patchmod.cli import pull_request as pr
from patchmod.cli import repo as repo_mod
from patchmod.cli.config import load_config
from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import JsonReport, finding_line, qualified_name, unified_diff
from patchmod.cli.server import ServerOptions
from patchmod.codemods import patch_ids

if TYPE_CHECKING:
    from patchmod.cli.check import CheckReport, check
    from patchmod.cli.codemod_child import CodemodChild
    from patchmod.cli.histories import PullReport
    from patchmod.cli.readiness import NotReady, ReadinessReport
    from patchmod.cli.retire import ProgressFactory, RetireReport
    from patchmod.cli.status import StatusReport, status
    from patchmod.cli.verify import VerifyReport

__all__ = ["introduce", "deprecate", "remove", "status", "check", "verify", "histories_pull", "ready",
           "IntroduceReport", "RetireReport", "StatusReport", "CheckReport", "VerifyReport", "PullReport",
           "ReadinessReport", "ServerOptions", "PatchmodError", "NotReady"]

# Loaded when first asked for: `patchmod introduce` starts faster without
# the modules of the other commands (process pools, sockets, temporalio glue).
_ELSEWHERE = {
    "RetireReport": "patchmod.cli.retire", "ProgressFactory": "patchmod.cli.retire",
    "check": "patchmod.cli.check", "CheckReport": "patchmod.cli.check",
    "status": "patchmod.cli.status", "StatusReport": "patchmod.cli.status",
    "PullReport": "patchmod.cli.histories", "VerifyReport": "patchmod.cli.verify",
    "NotReady": "patchmod.cli.readiness", "ReadinessReport": "patchmod.cli.readiness",
}


def __getattr__(name: str) -> Any:
    if name in _ELSEWHERE:
        value = getattr(importlib.import_module(_ELSEWHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class IntroduceReport(JsonReport):
    """What `introduce` did (or, dry, would do). Reads like the --json object:
    `report["commit"]`, `dict(report)`; `diff` and `lines` are extra."""

    patch_id: str
    files: list[str] = field(default_factory=list)
    regions: list[dict] = field(default_factory=list)
    commit: str | None = None
    branch: str | None = None  # the branch created and committed on (--branch)
    warnings: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # pinned workflows: changed, no patch needed
    nothing_to_do: bool = False
    message: str = ""
    pull_request: dict | None = None  # {"title", "body"} when files were (or would be) rewritten
    # Not in the JSON object:
    diff: str = ""  # unified diff of every rewrite (always computed)
    warning_lines: list[str] = field(default_factory=list)  # warnings as printed
    note_lines: list[str] = field(default_factory=list)  # notes as printed
    workflows: list[str] = field(default_factory=list)  # touched workflow classes, "Class (path)"

    command = "introduce"
    _KEYS = ("command", "patch_id", "files", "regions", "commit", "branch", "warnings", "notes",
             "nothing_to_do", "message", "pull_request", "errors")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "patch_id": self.patch_id,
            "files": list(self.files),
            "regions": [dict(r) for r in self.regions],
            "commit": self.commit,
            "branch": self.branch,
            "warnings": [dict(w) for w in self.warnings],
            "notes": [dict(n) for n in self.notes],
            "nothing_to_do": self.nothing_to_do,
            "message": self.message,
            "pull_request": dict(self.pull_request) if self.pull_request else None,
            "errors": [],
        }


class _InBackground:
    """`function(*args)` run in a daemon thread; `result()` waits for its
    return value or raises what it raised. For work that mostly waits on a
    git process, so the GIL is free for this thread meanwhile."""

    def __init__(self, function, *args) -> None:
        self._value = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = function(*args)
            except BaseException as exc:
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _warning(report: IntroduceReport, path: str | None, line: int | None, message: str,
             side: str = "edited", base: str | None = None) -> None:
    report.warnings.append({"file": path, "line": line, "message": message})
    report.warning_lines.append(finding_line(path, line, message, side=side, base=base, warning=True))


@safety.writing_command("introduce")
def introduce(
    repo_path: str | os.PathLike[str],
    patch_id: str,
    paths: list[str] | None = None,
    base: str = "HEAD",
    commit: bool = True,
    dry_run: bool = False,
    *,
    date: datetime.date | None = None,
    branch: str | None = None,
    codemod: CodemodChild | None = None,
) -> IntroduceReport:
    """Wrap what changed in workflow code since `base` in `workflow.patched(patch_id)`.

    `repo_path` is any folder inside the repository; relative `paths` count
    from it (as after `git -C`). Every file is analysed before any is
    written; a refusal in one file raises `PatchmodError` and leaves all of
    them, the index and the history as they were. `dry_run` writes nothing
    (see `report.diff`); `commit=False` writes without committing.
    `branch` creates that branch at HEAD and checks it out before writing
    and committing (refused when it exists, or with `dry_run` or
    `commit=False`). `report["pull_request"]` is a title and markdown body.
    Pinned workflow classes (`versioning_behavior=PINNED`) are not wrapped:
    `report["notes"]` says so. `codemod` is a `CodemodChild` the caller
    started before importing this module (the command line does) to run
    the rewrite in; by default it runs in this process.
    """
    reason = patch_ids.invalid_reason(patch_id)
    if reason:
        raise PatchmodError(f"{patch_id!r}: {reason}")
    if branch is not None and (dry_run or not commit):
        raise PatchmodError(f"--branch needs a commit: it cannot go with "
                            f"{'--dry-run' if dry_run else '--no-commit'}")
    if codemod is None:
        # The codemod (libcst: about 0.25 s to import) loads while git looks
        # for the changed files. A daemon: a refusal waits for nothing.
        loading = threading.Thread(target=importlib.import_module, args=("patchmod.codemods.introduce",),
                                   daemon=True)
        loading.start()
    start = os.fspath(repo_path)
    repo = repo_mod.open_repo(start)
    root = repo_mod.root_of(repo)
    report = IntroduceReport(patch_id=patch_id)
    vague = patch_ids.vague_reason(patch_id)
    if vague:
        _warning(report, None, None, vague)

    base_sha = repo_mod.resolve_commit(repo, base)
    if branch is not None:
        repo_mod.check_new_branch(repo, branch)
    changed = repo_mod.changed_python_files(repo, base_sha)
    # Whether the id is new needs a grep of the whole tree, the slowest step
    # of a one-file run: git does it on another core while this one parses
    # and rewrites. Its answer still comes first: nothing is written, and no
    # other problem is reported, before it is known.
    searching = _InBackground(repo_mod.known_uses, repo, patch_id, base_sha, base, changed)

    def refuse_used_id() -> None:
        uses = searching.result()
        if uses:
            why = "an id is used once, ever: pick a new one"
            raise PatchmodError(
                [f"{u.where}: {u.what}; {why}" for u in uses],
                [{"file": u.file or f"commit {u.commit}", "line": u.line, "message": f"{u.what}; {why}"}
                 for u in uses],
            )

    try:
        config = load_config(root)
        targets = repo_mod.target_paths(repo, start, changed, paths)
    except PatchmodError:
        refuse_used_id()
        raise
    if not targets:
        refuse_used_id()
        report.nothing_to_do = True
        report.message = f"nothing to do: no Python file differs from {base}"
        return report

    from patchmod.codemods.findings import Refusal

    if codemod is None:
        loading.join()
        from patchmod.codemods.introduce import introduce_patch
    else:
        def introduce_patch(*args: Any, **kwargs: Any) -> Any:
            return codemod.call("introduce_patch", *args, **kwargs)

    today = date or datetime.date.today()
    results = []  # (path, edited text, IntroduceResult)
    skipped: list[str] = []
    differing = 0
    refusals: list[str] = []
    errors: list[dict] = []
    for path in targets:
        base_bytes = repo_mod.read_blob(repo, base_sha, path)
        if base_bytes is None:
            skipped.append(path)  # a new module: nothing old to keep
            continue
        if not (root / path).is_file():
            skipped.append(path)  # deleted in the working tree
            continue
        try:
            base_text = files.decode(base_bytes, f"{path}@{base}")
            edited_text = files.read_text(root / path, path)
        except PatchmodError as exc:  # not UTF-8, unreadable: report with the rest
            refusals.extend(exc.lines)
            errors.extend(exc.errors)
            continue
        if base_text == edited_text:
            continue
        differing += 1
        try:
            result = introduce_patch(base_text, edited_text, patch_id, date=today,
                                     max_active_patches=config.max_active_patches)
        except Refusal as refusal:
            for f in refusal.findings:
                refusals.append(finding_line(path, f.line, f.message, side=f.side, base=base))
                errors.append({"file": path if f.side != "base" else f"{path}@{base}",
                               "line": f.line, "message": f.message})
            continue
        except RecursionError:
            line = f"{path}: too deeply nested for the parser; cannot rewrite it"
            refusals.append(line)
            errors.append({"file": path, "line": None, "message": line})
            continue
        results.append((path, edited_text, result))
    refuse_used_id()
    if refusals:
        raise PatchmodError(refusals, errors)

    touched = [(path, edited, result) for path, edited, result in results if result.regions]
    pinned: list[str] = []
    for path, _edited, result in results:
        for w in result.warnings:
            _warning(report, path, w.line, w.message, getattr(w, "side", "edited"), base)
        for n in result.notes:
            report.notes.append({"file": path, "line": n.line, "message": n.message})
            report.note_lines.append(f"{path}:{n.line}: note: {n.message}")
            pinned.append(n.message.split(" ", 1)[0])
    if not touched:
        report.nothing_to_do = True
        if skipped and not differing:
            report.message = ("nothing to do: only new files changed, and a new module has no "
                              f"old code to keep ({', '.join(skipped)})")
        elif not differing:
            report.message = f"nothing to do: no given file differs from {base}"
        elif pinned:
            report.message = (f"nothing to do: no change needs a patch; {', '.join(pinned)} "
                              f"{'is' if len(pinned) == 1 else 'are'} pinned (versioning_behavior=PINNED): "
                              f"{'its' if len(pinned) == 1 else 'their'} executions stay on the build that started them")
        else:
            report.message = ("nothing to do: no change in workflow code needs a patch "
                              "(comments, logging, docstrings, queries, new handlers or non-workflow code)")
        return report

    for path, _edited, result in touched:
        report.files.append(path)
        report.workflows.extend(f"`{name}` ({path})" for name in result.classes)
        for r in result.regions:
            report.regions.append({
                "file": path, "class": r.class_name, "method": r.function,
                "start_line": r.start_line, "end_line": r.end_line, "kind": r.kind,
            })
    report.diff = unified_diff((path, edited, result.code) for path, edited, result in touched)
    count = f"{len(report.regions)} region{'s' if len(report.regions) != 1 else ''} in " \
            f"{len(report.files)} file{'s' if len(report.files) != 1 else ''}"
    report.pull_request = pr.pull_request("introduce", [patch_id], files=report.files,
                                          locations=pr.region_lines(report.regions), workflows=report.workflows)
    mixed = safety.partly_staged(repo, report.files)
    if mixed:
        why = ("has staged changes and other, unstaged ones; introduce patches and commits the whole "
               "working-tree file: stage all of it (git add) or none of it (git restore --staged) first")
        raise PatchmodError([f"{path}: {why}" for path in mixed],
                            [{"file": path, "line": None, "message": why} for path in mixed])
    if dry_run:
        report.message = f"dry run: would introduce {patch_id} in {count}; nothing written"
        return report

    if commit:
        commit_mod.check_index_unlocked(repo)
    with repo_mod.on_new_branch(repo, branch):
        files.write_all(root, [(path, result.code) for path, _edited, result in touched])
        if not commit:
            report.message = f"introduced {patch_id} in {count}; not committed (--no-commit)"
            return report
        body = f'Wrap the changed workflow code in workflow.patched("{patch_id}"):\n\n' + "\n".join(
            f"  {r['file']}:{r['start_line']} {qualified_name(r['class'], r['method'])} {r['kind']}"
            for r in report.regions
        )
        message = commit_mod.stage_message("introduce", [patch_id], body)
        report.commit = commit_mod.commit_files(repo, report.files, message)
    report.branch = branch
    problem = commit_mod.sync_index(repo, report.files)
    if problem:
        _warning(report, None, None, problem)
    on = f" on the new branch {branch}" if branch else ""
    report.message = f"introduced {patch_id} in {count}; committed {report.commit[:12]}{on}"
    return report


def deprecate(
    repo_path: str | os.PathLike[str],
    patch_ids: str | Sequence[str],
    paths: Sequence[str] | None = None,
    commit: bool = True,
    dry_run: bool = False,
    *,
    date: datetime.date | None = None,
    jobs: int | None = None,
    progress: ProgressFactory | None = None,
    branch: str | None = None,
    require_ready: bool = False,
    server: ServerOptions | None = None,
    include_closed: bool = False,
) -> RetireReport:
    """Turn every `workflow.patched(ID)` of `patch_ids` into
    `workflow.deprecate_patch(ID)` in place, keeping only the patched code.

    Looks at the repository's tracked .py files, or those under `paths`
    (files or folders, relative to `repo_path`); only files whose text
    spells an id are parsed. Every file is rewritten in memory first: a
    refusal anywhere, or a file to rewrite that has uncommitted changes,
    raises `PatchmodError` with nothing written. Then the files are written
    and, unless `commit=False`, committed (only they) as
    `patchmod: deprecate ID...` with `Patch-Id:` / `Patch-Stage: deprecated`
    trailers. `dry_run` writes nothing (see `report.diff`). `date` is the
    changelog date (default today). `jobs` caps the worker processes (1:
    none; default: every core when more than 8 files are parsed).
    `progress(n_files)` may return a context manager with `update(n)`
    (`click.progressbar` fits); it is told of each file done.

    `branch` creates that branch at HEAD and checks it out before writing
    and committing (refused when it exists, or with `dry_run` or
    `commit=False`); `report["pull_request"]` is a title and markdown body.
    `require_ready` asks the Temporal server `server` (default
    localhost:7233, namespace default) first, as `ready(..., stage=
    "deprecate")` does (`include_closed` counts retained closed executions
    too): when it is not safe, `NotReady` (exit status 1) is raised with
    nothing written; an unreachable server raises `PatchmodError`.
    """
    from patchmod.cli.retire import retire

    return retire("deprecate", repo_path, patch_ids, paths, commit, dry_run,
                  date=date, jobs=jobs, progress=progress, branch=branch, require_ready=require_ready,
                  server=server, include_closed=include_closed)


def remove(
    repo_path: str | os.PathLike[str],
    patch_ids: str | Sequence[str],
    paths: Sequence[str] | None = None,
    commit: bool = True,
    dry_run: bool = False,
    *,
    date: datetime.date | None = None,
    jobs: int | None = None,
    progress: ProgressFactory | None = None,
    branch: str | None = None,
    require_ready: bool = False,
    server: ServerOptions | None = None,
    include_closed: bool = False,
) -> RetireReport:
    """Strip every `workflow.deprecate_patch(ID)` statement of `patch_ids`.

    Refused (`PatchmodError`, nothing written), listing each `file:line`,
    while a `workflow.patched(ID)` of one of them is still in the files
    looked at: deprecate first. Otherwise as `deprecate`, with the commit
    `patchmod: remove ID...` and `Patch-Stage: removed`. A removed id stays
    retired: `introduce` refuses it (its changelog line and trailer remain).
    `branch`, `require_ready` (stage "remove"), `server` and
    `include_closed` as for `deprecate`.
    """
    from patchmod.cli.retire import retire

    return retire("remove", repo_path, patch_ids, paths, commit, dry_run,
                  date=date, jobs=jobs, progress=progress, branch=branch, require_ready=require_ready,
                  server=server, include_closed=include_closed)


def verify(
    repo_path: str | os.PathLike[str],
    histories: str | os.PathLike[str],
    workflows: Sequence[str] | None = None,
    *,
    python: str | None = None,
    timeout: float | None = None,
) -> VerifyReport:
    """Replay every `*.json` history under `histories` (relative to
    `repo_path`) against the current code: the `workflows` classes
    ("MODULE:CLASS", imported with `repo_path` on sys.path) or, without
    them, the repository's own `@workflow.defn` classes, matched by workflow
    type. Each result is ok, nondeterminism (with the event id), error or
    skipped; `report.ok` / `report.exit_code` sum them up. Bad usage (no
    such folder, no histories, no classes) raises `PatchmodError`."""
    from patchmod.cli.verify import verify_histories

    return verify_histories(repo_path, histories, list(workflows or []), python=python, timeout=timeout)


def histories_pull(
    query: str,
    out: str | os.PathLike[str],
    *,
    server: ServerOptions | None = None,
    limit: int | None = None,
    on_total: Any = None,
    on_file: Any = None,
) -> PullReport:
    """Write `<workflow_id>_<run_id>.json` into `out` for every execution the
    visibility `query` matches on `server` (at most `limit`), ready for
    `verify`. `on_total(n)` hears the count first, `on_file(entry)` each file
    written. An unreachable server or a refused query raises `PatchmodError`."""
    from patchmod.cli.histories import pull_histories

    return pull_histories(server or ServerOptions(), query, out, limit=limit, on_total=on_total, on_file=on_file)


def ready(
    repo_path: str | os.PathLike[str] | None,
    patch_ids: str | Sequence[str],
    *,
    server: ServerOptions | None = None,
    stage: str = "next",
    include_closed: bool = False,
    workflow_types: Sequence[str] | None = None,
) -> ReadinessReport:
    """Whether deprecating or removing each id is safe on `server`: "deprecate",
    "remove", "both" or "next" (the stage the code is ready for). The
    workflow types come from the repository's code (or `workflow_types`);
    their running executions (and, with `include_closed`, the closed ones
    still inside retention) are read for the ids' `core_patch` markers.
    `report.safe` / `report.exit_code` (0 or 1) answer; `report.lines()` and
    `report.note` are what `patchmod ready` prints. An unreachable server or
    an id the code does not hold raises `PatchmodError`."""
    from patchmod.cli.readiness import check_readiness

    ids = [patch_ids] if isinstance(patch_ids, str) else list(patch_ids)
    return check_readiness(repo_path, ids, server=server or ServerOptions(), stage=stage,
                           include_closed=include_closed,
                           workflow_types=list(workflow_types) if workflow_types else None)
