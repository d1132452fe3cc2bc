"""`patchmod introduce`: wrap changed workflow code in `workflow.patched(ID)`."""

from __future__ import annotations

import click
from patchmod.cli.output import echo_err, print_json, qualified_name


@click.command(short_help="Wrap changed workflow code in workflow.patched(ID).")
@click.argument("patch_id", metavar="ID")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--base", default="HEAD", show_default=True, metavar="REV",
              help="Revision holding the old code.")
@click.option("--no-commit", is_flag=True, help="Rewrite the files but do not commit them.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff; write and commit nothing.")
@click.option("--branch", metavar="NAME", default=None,
              help="Create branch NAME at HEAD and check it out, then commit there "
                   "(refused if it exists; not with --no-commit or --dry-run).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object describing the result, with a pull request title and body.")
@click.pass_context
def introduce(ctx: click.Context, patch_id: str, paths: tuple[str, ...], base: str,
              no_commit: bool, dry_run: bool, branch: str | None, as_json: bool) -> None:
    """Wrap what changed since REV in workflow code in `workflow.patched(ID)`.

    PATH defaults to the tracked Python files that differ between REV and the
    working tree. The old code comes from REV, the new code from the files on
    disk. By default the rewritten files are committed, and only they:
    subject `patchmod: introduce ID`, trailers `Patch-Id: ID` and
    `Patch-Stage: introduced`; with --branch, on that new branch (the branch
    you were on stays where it was). Workflows declared pinned with Worker
    Versioning (versioning_behavior=PINNED) need no patch: a note says so.

    Exit status: 0 done or nothing to do, 2 bad usage, bad input or a refusal
    (then nothing is written or committed).
    """
    from patchmod.cli.codemod_child import CodemodChild

    # First, before GitPython loads here: the child loads libcst meanwhile.
    codemod = CodemodChild.start_if_useful()
    from patchmod.cli import api

    start = ctx.obj["directory"]
    try:
        report = api.introduce(start, patch_id, list(paths) or None, base=base,
                               commit=not no_commit, dry_run=dry_run, branch=branch, codemod=codemod)
    except api.PatchmodError as exc:
        for line in exc.lines:
            echo_err(line)
        if as_json:
            print_json({
                "command": "introduce", "patch_id": patch_id, "files": [], "regions": [],
                "commit": None, "branch": None, "warnings": [], "notes": [], "nothing_to_do": False,
                "message": exc.summary,
                "pull_request": None, "errors": exc.errors,
            })
        ctx.exit(exc.exit_code)
        return
    finally:
        if codemod:
            codemod.close()

    if as_json:
        print_json(report.as_dict())
        return
    for line in report.warning_lines + report.note_lines:
        echo_err(line)
    if dry_run and report.diff:
        click.echo(report.diff, nl=False)
        echo_err(report.message)
        return
    click.echo(report.message)
    for r in report.regions:
        click.echo(f"  {r['file']}:{r['start_line']} {qualified_name(r['class'], r['method'])} {r['kind']}")
