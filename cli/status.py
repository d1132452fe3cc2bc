"""`patchmod status`: every patch id, its stage, sites, dates and age, the
active patches per workflow class, and the problems worth fixing.

The click command stays light (click only); `status()` does the work and
imports git when called. Only tracked .py files that `git grep` finds saying
`patched`, `deprecate_patch` or `Versioning History` are read, and they are
read with the standard `ast` module (`patchmod.codemods.inventory`).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

import click
from patchmod.cli.output import JsonReport, echo_err, print_json

# Ids with no date in any changelog line or trailer get one from `git log -S`
# (the first commit that added the id's text); each costs a history walk,
# so only this many are looked up.
MAX_HISTORY_LOOKUPS = 25

_SEARCH_WORDS = ["patched", "deprecate_patch", "Versioning History"]


@dataclass
class StatusReport(JsonReport):
    """What `status` found. Reads like the --json object (`report["patches"]`)."""

    today: str
    max_active_patches: int
    patches: list[dict] = field(default_factory=list)
    workflows: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    files_scanned: int = 0
    message: str = ""

    _KEYS = ("command", "today", "max_active_patches", "patches", "workflows", "problems",
             "files_scanned", "message", "errors")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "status",
            "today": self.today,
            "max_active_patches": self.max_active_patches,
            "patches": [dict(p) for p in self.patches],
            "workflows": [dict(w) for w in self.workflows],
            "problems": [dict(p) for p in self.problems],
            "files_scanned": self.files_scanned,
            "message": self.message,
            "errors": [],
        }


def _iso(date: datetime.date | None) -> str | None:
    return date.isoformat() if date else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 'es' if word.endswith(('s', 'ch', 'sh', 'x')) else 's'}"


def _read_module(task: tuple[str, str, int]):
    """One file's inventory (in a worker process when there are many)."""
    from patchmod.cli import files
    from patchmod.cli.errors import PatchmodError
    from patchmod.codemods import inventory as inv

    root, path, limit = task
    try:
        text = files.read_text(os.path.join(root, path), path)
    except PatchmodError as exc:
        return inv.ModuleInventory(problems=[inv.Problem(None, inv.UNREADABLE, exc.lines[0].split(": ", 1)[-1])])
    return inv.inventory(text, max_active_patches=limit)


def status(repo_path: str | os.PathLike[str], paths: list[str] | None = None, *,
           today: datetime.date | None = None, jobs: int | None = None) -> StatusReport:
    """Every patch id in the repository's tracked Python files (or under
    `paths`), with what git's `Patch-Id`/`Patch-Stage` trailers add.

    Raises `PatchmodError` for bad input (not a repository, a missing path);
    problems in the code are part of the report, not errors. `jobs` caps the
    worker processes that read many files (1: none)."""
    from concurrent.futures import ProcessPoolExecutor

    from patchmod.cli import repo as repo_mod
    from patchmod.cli.config import load_config
    from patchmod.cli.workers import worker_count
    from patchmod.codemods import inventory as inv

    start = os.fspath(repo_path)
    repo = repo_mod.open_repo(start)
    root = repo_mod.root_of(repo)
    config = load_config(root)
    today = today or datetime.date.today()
    specs = repo_mod.pathspecs(repo, start, paths)

    candidates = repo_mod.files_mentioning(repo, _SEARCH_WORDS, specs)
    tasks = [(os.fspath(root), path, config.max_active_patches) for path in candidates]
    workers = worker_count(len(tasks), jobs)
    if workers <= 1:
        modules = dict(zip(candidates, map(_read_module, tasks)))
    else:
        chunk = max(1, min(64, len(tasks) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            modules = dict(zip(candidates, pool.map(_read_module, tasks, chunksize=chunk)))

    commits = []
    log_specs = specs if paths else None  # no PATH: every commit, whatever it touched
    for c in repo_mod.patch_commits(repo, log_specs):
        try:
            commits.append(inv.CommitRecord(c.sha, datetime.date.fromisoformat(c.date), c.patch_ids, c.stage))
        except ValueError:
            continue

    def summarize(first_seen: dict[str, datetime.date]) -> inv.RepositoryStatus:
        return inv.summarize(modules, commits, today=today, first_seen=first_seen,
                             max_active_patches=config.max_active_patches)

    summary = summarize({})
    undated = [p.patch_id for p in summary.patches if p.dates["introduced"] is None and p.sites]
    if undated:
        first_seen = {}
        for patch_id in undated[:MAX_HISTORY_LOOKUPS]:
            found = repo_mod.first_added(repo, patch_id, log_specs)
            if found:
                first_seen[patch_id] = datetime.date.fromisoformat(found)
        if first_seen:
            summary = summarize(first_seen)

    report = StatusReport(today=today.isoformat(), max_active_patches=config.max_active_patches,
                          files_scanned=len(modules))
    for p in summary.patches:
        report.patches.append({
            "patch_id": p.patch_id,
            "stage": p.stage,
            "introduced": _iso(p.dates["introduced"]),
            "deprecated": _iso(p.dates["deprecated"]),
            "removed": _iso(p.dates["removed"]),
            "date_sources": dict(p.sources),
            "age_days": p.age_days,
            "stage_age_days": p.stage_age_days,
            "sites": [{"file": s.file, "line": s.site.line, "stage": s.site.stage, "class": s.site.class_name,
                       "method": s.site.method, "workflows": list(s.site.workflows)} for s in p.sites],
            "workflows": list(p.workflows),
        })
    for w in summary.workflows:
        report.workflows.append({
            "file": w.file, "line": w.line, "class": w.name, "pinned": w.pinned,
            "active": list(w.active), "deprecated": list(w.deprecated),
            "active_count": len(w.active), "over_limit": w.over_limit,
        })
    for problem in summary.problems:
        report.problems.append({"file": problem.file, "line": problem.line, "kind": problem.kind,
                                "patch_id": problem.patch_id, "message": problem.message})
    counts = {stage: sum(1 for p in report.patches if p["stage"] == stage) for stage in inv.STAGES}
    report.message = (
        f"{_plural(len(report.patches), 'patch')} ({counts['active']} active, {counts['deprecated']} deprecated, "
        f"{counts['removed']} removed) in {_plural(len(report.workflows), 'workflow class')}; "
        f"{_plural(len(report.problems), 'problem')}"
    )
    return report


# -- the table for people ------------------------------------------------------------


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _site_text(site: dict, id_stage: str) -> str:
    owner = f"{site['class']}.{site['method']}" if site["class"] and site["method"] else site["method"] or "<module>"
    text = f"{site['file']}:{site['line']} {owner}"
    if site["class"] is None and site["workflows"]:
        text += f" (in {', '.join(site['workflows'])})"
    if site["stage"] != id_stage:
        text += f" [{site['stage']}]"
    return text


def render(report: StatusReport) -> list[str]:
    """The report as aligned tables: patches, workflow classes, problems."""
    lines: list[str] = []
    if report.patches:
        rows = [["PATCH ID", "STAGE", "INTRODUCED", "DEPRECATED", "REMOVED", "AGE", "SITES"]]
        for p in report.patches:
            sites = [_site_text(s, p["stage"]) for s in p["sites"]] or ["-"]
            age = f"{p['age_days']}d" if p["age_days"] is not None else "-"
            rows.append([p["patch_id"], p["stage"], p["introduced"] or "-", p["deprecated"] or "-",
                         p["removed"] or "-", age, sites[0]])
            rows.extend(["", "", "", "", "", "", more] for more in sites[1:])
        lines += _table(rows)
    else:
        lines.append("no patches found")
    if report.workflows:
        rows = [["WORKFLOW", "ACTIVE", "DEPRECATED", "IDS"]]
        for w in report.workflows:
            name = f"{w['file']}:{w['line']} {w['class']}" + (" (pinned)" if w["pinned"] else "")
            active = f"{w['active_count']}/{report.max_active_patches}" + (" over" if w["over_limit"] else "")
            rows.append([name, active, str(len(w["deprecated"])), " ".join(w["active"] + w["deprecated"]) or "-"])
        lines += ["", *_table(rows)]
    if report.problems:
        lines += ["", "PROBLEMS"]
        for problem in report.problems:
            where = f"{problem['file']}:{problem['line']}" if problem["file"] and problem["line"] else problem["file"]
            lines.append(f"{where + ': ' if where else ''}{problem['kind']}: {problem['message']}")
    lines += ["", report.message]
    return lines


@click.command(name="status", short_help="List every patch: stage, sites, dates, age, problems.")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for bots.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Read files in at most N processes (1: no worker processes). "
                   "Default: every core when more than 8 files hold patches.")
@click.pass_context
def status_command(ctx: click.Context, paths: tuple[str, ...], as_json: bool, jobs: int | None) -> None:
    """List every patch id in the repository's tracked Python files (or
    under each PATH): its stage (active, deprecated, removed), each site
    (file:line, class, method), the date of each stage (from the Versioning
    History, else from git's Patch-Id/Patch-Stage trailers, else from the
    commit that first added it), its age in days, the active patches of
    each workflow class, and the problems found, each with file:line.

    Exit status: 0 (problems are listed, not fatal: `patchmod check` is the
    gate), 2 bad usage or bad input.
    """
    from patchmod.cli.errors import PatchmodError

    try:
        report = status(ctx.obj["directory"], list(paths) or None, jobs=jobs)
    except PatchmodError as exc:
        for line in exc.lines:
            echo_err(line)
        if as_json:
            print_json({"command": "status", "patches": [], "workflows": [], "problems": [],
                        "message": exc.lines[0], "errors": exc.errors})
        ctx.exit(exc.exit_code)
        return
    if as_json:
        print_json(report.as_dict())
        return
    for line in render(report):
        click.echo(line)
