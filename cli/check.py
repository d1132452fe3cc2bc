"""`patchmod check`: the CI and pre-commit guard.

Fails (exit 1) when workflow code changed against the base without a new
patch, or gained a non-deterministic call; the analysis is
`patchmod.codemods.guard`. The click command stays light (click only);
`check()` does the work and imports git when called.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from patchmod.cli.output import JsonReport, echo_err, print_json


@dataclass
class CheckReport(JsonReport):
    """What `check` found: `findings` as data, `lines` as printed."""

    base: str
    base_commit: str | None  # None when refused; the merge base of --base and HEAD: where the old code is read
    files: list[str] = field(default_factory=list)  # changed .py files compared
    findings: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # pinned workflows: no patch needed
    new_ids: list[str] = field(default_factory=list)
    message: str = ""
    lines: list[str] = field(default_factory=list)

    _KEYS = ("command", "base", "base_commit", "files", "findings", "notes", "new_ids", "ok", "message", "errors")

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {"command": "check", "base": self.base, "base_commit": self.base_commit,
                "files": list(self.files), "findings": [dict(f) for f in self.findings],
                "notes": [dict(n) for n in self.notes], "new_ids": list(self.new_ids),
                "ok": self.ok, "message": self.message, "errors": []}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check(repo_path: str | os.PathLike[str], paths: list[str] | None = None, base: str = "HEAD") -> CheckReport:
    """Compare each changed tracked .py file (or each given PATH) in the
    working tree with the merge base of `base` and HEAD.

    Raises `PatchmodError` for bad usage or input (an unknown revision, a
    missing path, a file that does not parse): exit status 2."""
    from patchmod.cli import files
    from patchmod.cli import repo as repo_mod
    from patchmod.cli.errors import PatchmodError
    from patchmod.cli.output import finding_line
    from patchmod.codemods.findings import Refusal
    from patchmod.codemods.guard import check_module

    start = os.fspath(repo_path)
    repo = repo_mod.open_repo(start)
    root = repo_mod.root_of(repo)
    base_sha = repo_mod.resolve_commit(repo, base)
    head_sha = repo_mod.resolve_commit(repo, "HEAD")
    try:
        merge_base = repo.git.merge_base(base_sha, head_sha).strip() or base_sha
    except Exception:
        merge_base = base_sha
    report = CheckReport(base=base, base_commit=merge_base)

    refusals: list[str] = []
    errors: list[dict] = []
    changed = repo_mod.changed_python_files(repo, merge_base)
    for path in repo_mod.target_paths(repo, start, changed, paths):
        old = repo_mod.read_blob(repo, merge_base, path)
        if old is None or not (root / path).is_file():
            continue  # a new module has no old code to keep; a deleted one runs nothing
        try:
            base_text = files.decode(old, f"{path}@{base}")
            head_text = files.read_text(root / path, path)
        except PatchmodError as exc:
            refusals.extend(exc.lines)
            errors.extend(exc.errors)
            continue
        if base_text == head_text:
            continue
        report.files.append(path)
        if "temporalio" not in base_text and "temporalio" not in head_text:
            continue  # no workflow code on either side
        try:
            result = check_module(base_text, head_text, stem=Path(path).stem)
        except Refusal as refusal:
            for f in refusal.findings:
                refusals.append(finding_line(path, f.line, f.message, side=f.side, base=base))
                errors.append({"file": path if f.side != "base" else f"{path}@{base}", "line": f.line,
                               "message": f.message})
            continue
        except RecursionError:
            refusals.append(f"{path}: too deeply nested for the parser; cannot check it")
            continue
        report.new_ids.extend(i for i in result.new_ids if i not in report.new_ids)
        shown_path = shlex.quote(os.path.relpath(root / path, os.path.realpath(start)))
        for f in result.findings:
            where = f"{path}@{base}" if f.side == "base" else path
            prefix = f"{f.function}(): " if f.function else ""
            text = f"{prefix}{f.message}"
            if f.kind == "unpatched":
                remedy = f.remedy or f"run: patchmod introduce {result.suggested_id} {shown_path}"
                text = f"{prefix}{f.message} without a patch; {remedy}"
            report.findings.append({"file": where, "line": f.line, "function": f.function, "kind": f.kind,
                                    "message": text})
            report.lines.append(f"{where}:{f.line}: {text}")
        for note in result.pinned:
            report.notes.append({"file": path, "line": note.line, "class": note.class_name, "message": note.message})
            report.lines.append(f"{path}:{note.line}: note: {note.message}")
    if refusals:
        raise PatchmodError(refusals, errors)

    compared = f"{_plural(len(report.files), 'changed Python file')} against {base}"
    if report.findings:
        in_files = len({f["file"] for f in report.findings})
        report.message = (f"patchmod check: {_plural(len(report.findings), 'problem')} in "
                          f"{_plural(in_files, 'file')} ({compared})")
    elif report.new_ids:
        report.message = (f"patchmod check: ok: {compared}; every workflow change is under a new patch "
                          f"({', '.join(report.new_ids)})")
    else:
        report.message = f"patchmod check: ok: {compared}; no workflow change needs a patch"
    return report


@click.command(name="check", short_help="Fail when workflow code changed without a patch.")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--base", default="HEAD", show_default=True, metavar="REV",
              help="Compare with the merge base of REV and HEAD (in CI: origin/<target branch>).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (findings with file, line, function, kind, message) for bots.")
@click.pass_context
def check_command(ctx: click.Context, paths: tuple[str, ...], base: str, as_json: bool) -> None:
    """Fail when workflow code that issues commands changed without a new
    patch, or gained a non-deterministic call.

    Each changed tracked Python file (or each PATH) in the working tree is
    compared with the merge base of REV and HEAD: with every newly
    introduced patch id false, each workflow must behave as before.
    Comments, logging, docstrings, queries and new handlers are safe;
    workflows declared pinned (versioning_behavior=PINNED) need no patch.

    Exit status: 0 all is well (one summary line), 1 findings
    (`file:line: ...`, each with what to run), 2 bad usage or bad input.
    With --json, the same as one JSON object on stdout (`ok`, `findings`,
    `notes`, `new_ids`; `errors` when the exit status is 2).
    """
    from patchmod.cli.errors import PatchmodError

    try:
        report = check(ctx.obj["directory"], list(paths) or None, base=base)
    except PatchmodError as exc:
        for line in exc.lines:
            echo_err(line)
        if as_json:
            empty = CheckReport(base=base, base_commit=None, message=exc.summary).as_dict()
            print_json({**empty, "ok": False, "errors": exc.errors})
        ctx.exit(exc.exit_code)
        return
    if as_json:
        print_json(report.as_dict())
    else:
        for line in report.lines:
            click.echo(line)
        click.echo(report.message)
    if report.findings:
        ctx.exit(1)
