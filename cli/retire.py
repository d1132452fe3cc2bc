"""What `deprecate` and `remove` share: find the files that can hold the ids,
rewrite them all in memory (in parallel when there are many), refuse if any
one cannot be rewritten or has uncommitted changes, then write and commit.

The codemods (`patchmod.codemods.deprecate` / `.remove`) own the rewrite of
one source text; this module owns the repository, files, processes,
progress and the report. The Python API (`patchmod.cli.api.deprecate` /
`remove`) and the commands are thin layers over `retire()`.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from patchmod.cli import commit as commit_mod
from patchmod.cli import files, safety
from patchmod.cli import pull_request as pr
from patchmod.cli import repo as repo_mod
from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import JsonReport, finding_line, qualified_name, unified_diff
from patchmod.cli.server import ServerOptions
from patchmod.cli.workers import MANY_FILES, worker_count  # noqa: F401 - MANY_FILES is read from here
from patchmod.codemods import patch_ids as patch_id_rules

COMMANDS = ("deprecate", "remove")
_PAST = {"deprecate": "deprecated", "remove": "removed"}
_CALL = {"deprecate": "workflow.patched", "remove": "workflow.deprecate_patch"}


class Progress(Protocol):
    def update(self, n_steps: int) -> None: ...


# Called with the number of files to rewrite; returns a context manager whose
# value has `update(n)` (click.progressbar fits).
ProgressFactory = Callable[[int], AbstractContextManager[Progress]]


@dataclass
class RetireReport(JsonReport):
    """What `deprecate` / `remove` did (or, dry, would do). Reads like the
    --json object; `diff` and `warning_lines` are extra."""

    command: str
    patch_ids: list[str]
    files: list[str] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    commit: str | None = None
    branch: str | None = None  # the branch created and committed on (--branch)
    warnings: list[dict] = field(default_factory=list)
    nothing_to_do: bool = False
    message: str = ""
    readiness: dict | None = None  # the server's answer (--require-ready), as `ready --json` gives it
    pull_request: dict | None = None  # {"title", "body"} when files were (or would be) rewritten
    # Not in the JSON object:
    diff: str = ""  # unified diff of every rewrite (always computed)
    warning_lines: list[str] = field(default_factory=list)  # warnings as printed
    workflows: list[str] = field(default_factory=list)  # touched workflow classes, "Class (path)"
    readiness_lines: list[str] = field(default_factory=list)  # the server's answer as printed

    _KEYS = ("command", "patch_ids", "files", "sites", "commit", "branch", "warnings", "nothing_to_do",
             "message", "readiness", "pull_request", "errors")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "patch_ids": list(self.patch_ids),
            "files": list(self.files),
            "sites": [dict(s) for s in self.sites],
            "commit": self.commit,
            "branch": self.branch,
            "warnings": [dict(w) for w in self.warnings],
            "nothing_to_do": self.nothing_to_do,
            "message": self.message,
            "readiness": self.readiness,
            "pull_request": dict(self.pull_request) if self.pull_request else None,
            "errors": [],
        }

    def warn(self, path: str | None, line: int | None, message: str) -> None:
        self.warnings.append({"file": path, "line": line, "message": message})
        self.warning_lines.append(finding_line(path, line, message, warning=True))


def failure_object(command: str, patch_ids: Sequence[str], error: PatchmodError) -> dict[str, Any]:
    """The --json object of a refused command."""
    readiness = getattr(error, "readiness", None)  # NotReady: the server's answer
    return {
        "command": command, "patch_ids": list(patch_ids), "files": [], "sites": [], "commit": None,
        "branch": None, "warnings": [], "nothing_to_do": False,
        "message": error.summary,
        "readiness": readiness.as_dict() if readiness is not None else None,
        "pull_request": None,
        "errors": error.errors,
    }


# --- one file ------------------------------------------------------------------


@dataclass
class FileOutcome:
    """One candidate file after the codemod, small enough to send back from a
    worker process: the texts only when the file changes."""

    path: str
    mentioned: list[str] = field(default_factory=list)  # ids its text spells
    before: str | None = None
    after: str | None = None
    sites: list[Any] = field(default_factory=list)  # codemods.retire.SiteChange
    classes: list[str] = field(default_factory=list)  # workflow classes the rewrite touched
    warnings: list[tuple[int | None, str]] = field(default_factory=list)
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def _codemod(command: str):
    """The codemod function of `command` (importing it loads libcst's codemod
    machinery: about half a second)."""
    if command == "deprecate":
        from patchmod.codemods.deprecate import deprecate_patches

        return deprecate_patches
    from patchmod.codemods.remove import remove_patches

    return remove_patches


def rewrite_file(command: str, root: str, path: str, ids: Sequence[str], date: datetime.date) -> FileOutcome:
    """Read `root/path` and run the codemod of `command` on it. Never raises
    for a problem of the file: a refusal, a syntax error, bytes that are not
    UTF-8 or a nesting too deep for the parser become `problems`."""
    outcome = FileOutcome(path)
    try:
        text = files.read_text(Path(root) / path, path)
    except PatchmodError as exc:
        outcome.problems = [(None, line.removeprefix(f"{path}: ")) for line in exc.lines]
        return outcome
    outcome.mentioned = [patch_id for patch_id in ids if patch_id in text]
    from patchmod.codemods.patch_sites import might_hold

    if not might_hold(text, list(ids)):
        return outcome  # the text prefilter: never parsed

    from patchmod.codemods.findings import Refusal

    try:
        result = _codemod(command)(text, list(ids), date=date)
    except Refusal as refusal:
        outcome.problems = [(f.line, f.message) for f in refusal.findings]
        return outcome
    except RecursionError:
        outcome.problems = [(None, "too deeply nested for the parser; cannot rewrite it")]
        return outcome
    outcome.warnings = [(w.line, w.message) for w in result.warnings]
    if result.changed:
        outcome.before, outcome.after, outcome.sites = text, result.code, list(result.sites)
        outcome.classes = list(result.classes)
    return outcome


def _rewrite_task(task: tuple[str, str, str, tuple[str, ...], datetime.date]) -> FileOutcome:
    return rewrite_file(*task)


def rewrite_files(command: str, root: str, paths: list[str], ids: Sequence[str], date: datetime.date,
                  workers: int, progress: ProgressFactory | None = None) -> list[FileOutcome]:
    """Every file's outcome, in the order of `paths`: in this process, or
    spread over `workers` processes."""
    tasks = [(command, root, path, tuple(ids), date) for path in paths]

    def run(outcomes: Iterable[FileOutcome]) -> list[FileOutcome]:
        if progress is None:
            return list(outcomes)
        done = []
        with progress(len(tasks)) as bar:
            for outcome in outcomes:
                done.append(outcome)
                bar.update(1)
        return done

    if workers <= 1:
        return run(map(_rewrite_task, tasks))
    # Imported once here, the codemod is inherited by forked workers instead
    # of being imported by each of them.
    _codemod(command)
    # Small chunks keep the bar moving and the cores evenly loaded; a task
    # is only a path, the file is read in the worker.
    chunk = max(1, min(16, len(tasks) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return run(pool.map(_rewrite_task, tasks, chunksize=chunk))


# --- the command ---------------------------------------------------------------


def _ids(patch_ids: str | Sequence[str]) -> list[str]:
    ids = [patch_ids] if isinstance(patch_ids, str) else list(patch_ids)
    if not ids:
        raise PatchmodError("no patch id given")
    problems = [f"{patch_id!r}: {reason}" for patch_id in ids
                if (reason := patch_id_rules.invalid_reason(patch_id))]
    if problems:
        raise PatchmodError(problems)
    return list(dict.fromkeys(ids))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@safety.writing_command()
def retire(
    command: str,
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
    """Deprecate or remove (`command`) every site of `patch_ids` in the
    repository's tracked Python files (or under `paths`). See
    `patchmod.cli.api.deprecate` for the arguments."""
    if command not in COMMANDS:
        raise ValueError(f"command must be one of {COMMANDS}, not {command!r}")
    ids = _ids(patch_ids)
    if branch is not None and (dry_run or not commit):
        raise PatchmodError(f"--branch needs a commit: it cannot go with "
                            f"{'--dry-run' if dry_run else '--no-commit'}")
    # The codemod (libcst.codemod: about 0.4 s to import) loads while git
    # works out which files to rewrite. A daemon: with nothing to do, no one
    # waits for it.
    loading = threading.Thread(target=_codemod, args=(command,), daemon=True)
    loading.start()
    start = os.fspath(repo_path)
    repo = repo_mod.open_repo(start)
    root = repo_mod.root_of(repo)
    repo_mod.resolve_commit(repo, "HEAD")  # the rewrite is committed on top of it
    if branch is not None:
        repo_mod.check_new_branch(repo, branch)
    specs = repo_mod.pathspecs(repo, start, list(paths) if paths else None)
    report = RetireReport(command=command, patch_ids=ids)

    candidates = repo_mod.files_mentioning(repo, ids, specs)
    for path, target in safety.links_outside(repo, specs):
        try:
            spells = any(patch_id in Path(root, path).read_text(encoding="utf-8", errors="replace")
                         for patch_id in ids)
        except OSError:
            spells = False  # pointing nowhere, or unreadable: it holds no site to rewrite
        if spells:
            report.warn(path, None, f"a symbolic link to {target}, outside the repository: not followed, "
                                    "its sites are not rewritten (retire them in the repository that holds it)")
    where = f" under {', '.join(paths)}" if paths else ""
    if not candidates:
        report.nothing_to_do = True
        report.message = "nothing to do: " + "; ".join(f"{i} appears in no file{where}" for i in ids)
        return report

    today = date or datetime.date.today()
    loading.join()
    outcomes = rewrite_files(command, os.fspath(root), candidates, ids, today,
                             worker_count(len(candidates), jobs), progress)

    # Refuse before anything is written: files the codemod cannot rewrite,
    # and files it would rewrite that hold uncommitted work.
    refusals: list[str] = []
    errors: list[dict] = []
    for outcome in outcomes:
        for line, message in outcome.problems:
            refusals.append(finding_line(outcome.path, line, message))
            errors.append({"file": outcome.path, "line": line, "message": message})
    dirty_paths = repo_mod.uncommitted_paths(repo)
    dirty = [o.path for o in outcomes if o.path in dirty_paths and (o.sites or o.problems)]
    for path in dirty:
        message = (f"has uncommitted changes; commit or stash them first "
                   f"({command} rewrites and commits whole files)")
        refusals.append(finding_line(path, None, message))
        errors.append({"file": path, "line": None, "message": message})
    if refusals:
        raise PatchmodError(refusals, errors)

    touched = [o for o in outcomes if o.sites]
    for outcome in outcomes:
        for line, message in outcome.warnings:
            report.warn(outcome.path, line, message)
    mentioned = {patch_id for o in outcomes for patch_id in o.mentioned}
    retired = [patch_id for patch_id in ids if any(s.patch_id == patch_id for o in touched for s in o.sites)]
    idle = []
    for patch_id in ids:
        if patch_id in retired:
            continue
        if patch_id not in mentioned:
            idle.append(f"{patch_id} appears in no file{where}")
        else:
            already = "deprecated" if command == "deprecate" else "removed"
            idle.append(f"{patch_id} has no {_CALL[command]}() call left{where} (already {already}?)")
    if not touched:
        report.nothing_to_do = True
        report.message = "nothing to do: " + "; ".join(idle)
        return report
    for reason in idle:
        report.warn(None, None, reason)

    for outcome in touched:
        report.files.append(outcome.path)
        for s in sorted(outcome.sites, key=lambda s: s.line):
            report.sites.append({"file": outcome.path, "line": s.line, "class": s.class_name,
                                 "method": s.function, "form": s.form, "patch_id": s.patch_id})
        report.workflows.extend(f"`{name}` ({outcome.path})" for name in outcome.classes)
    report.diff = unified_diff((o.path, o.before, o.after) for o in touched)
    done = f"{_PAST[command]} {' '.join(retired)} at {_plural(len(report.sites), 'site')} " \
           f"in {_plural(len(report.files), 'file')}"

    retention = asked = None
    if require_ready:
        # The server has the last word, before anything is written.
        from patchmod.cli.readiness import NotReady, check_readiness

        answer = check_readiness(start, retired, server=server or ServerOptions(), stage=command,
                                 include_closed=include_closed)
        if not answer.safe:
            raise NotReady(command, answer)
        report.readiness = answer.as_dict()
        report.readiness_lines = [*answer.lines(), answer.note]
        retention = answer.retention
        asked = f"--address {answer.address} --namespace {answer.namespace}"
    report.pull_request = pr.pull_request(
        command, retired, files=report.files,
        locations=pr.site_lines(report.sites, several_ids=len(retired) > 1),
        workflows=report.workflows, readiness=report.readiness_lines, retention=retention, server=asked,
    )
    if dry_run:
        report.message = f"dry run: would have {done}; nothing written"
        return report

    if commit:
        commit_mod.check_index_unlocked(repo)
    with repo_mod.on_new_branch(repo, branch):
        files.write_all(root, [(o.path, o.after) for o in touched])
        if not commit:
            report.message = f"{done}; not committed (--no-commit)"
            return report
        message = commit_mod.stage_message(command, retired, _commit_body(command, report.sites))
        report.commit = commit_mod.commit_files(repo, report.files, message)
    report.branch = branch
    problem = commit_mod.sync_index(repo, report.files)
    if problem:
        report.warn(None, None, problem)
    on = f" on the new branch {branch}" if branch else ""
    report.message = f"{done}; committed {report.commit[:12]}{on}"
    return report


def site_lines(sites: Iterable[dict]) -> Iterator[str]:
    """`path:line Class.method form` per site: what the commit body and the
    text output list."""
    for s in sites:
        yield f"{s['file']}:{s['line']} {qualified_name(s['class'], s['method'])} {s['form']}"


def _commit_body(command: str, sites: list[dict]) -> str:
    by_id: dict[str, list[dict]] = {}
    for s in sites:
        by_id.setdefault(s["patch_id"], []).append(s)
    if command == "deprecate":
        head = ("Turn workflow.patched(ID) into workflow.deprecate_patch(ID) in place,\n"
                "keeping only the code that runs with the patch:")
    else:
        head = "Drop the workflow.deprecate_patch(ID) calls:"
    parts = [head]
    for patch_id, group in by_id.items():
        parts.append(f"{patch_id}:\n" + "\n".join(f"  {line}" for line in site_lines(group)))
    return "\n\n".join(parts)
