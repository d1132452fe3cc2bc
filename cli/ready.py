"""`patchmod ready`: ask a Temporal server whether deprecating or removing a
patch is safe. The work is `patchmod.cli.readiness.check_readiness()`."""

from __future__ import annotations

import os

import click
from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import echo_err, print_json
from patchmod.cli.server import ServerOptions, server_options

STAGE_CHOICES = ("next", "deprecate", "remove", "both")


@click.command("ready", short_help="Ask the server whether deprecate/remove is safe.")
@click.argument("patch_ids", nargs=-1, required=True, metavar="ID...")
@server_options
@click.option("--stage", type=click.Choice(STAGE_CHOICES), default="next", show_default=True,
              help="Which stage to answer for (see below).")
@click.option("--include-closed", is_flag=True,
              help="Count closed executions still inside retention too, not only running ones.")
@click.option("--workflow-type", "workflow_types", multiple=True, metavar="TYPE",
              help="Ask about this workflow type (repeatable) instead of the types whose "
                   "code in the repository holds the ID.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every count.")
@click.pass_context
def ready(ctx: click.Context, patch_ids: tuple[str, ...], address: str, namespace: str,
          api_key: str | None, tls: bool, stage: str, include_closed: bool,
          workflow_types: tuple[str, ...], as_json: bool) -> None:
    """Say whether deprecating or removing each patch ID is safe now.

    The workflow types are those whose @workflow.defn classes reach a
    `patched("ID")` or `deprecate_patch("ID")` call in the repository's
    tracked files (or --workflow-type). A visibility query lists their
    running executions, and each one's history is read for the `core_patch`
    marker of the ID:

    \b
      deprecate is safe when no counted execution lacks the marker
        (one that started before the patch, or has not reached it yet);
      remove is safe when no counted execution carries a marker that is
        not deprecated (recorded by `patched`, not `deprecate_patch`).

    --stage: `next` (default) answers for the stage the code is ready for:
    deprecate while a `patched("ID")` call is left, remove once only
    `deprecate_patch("ID")` is; `deprecate`, `remove` or `both` ask
    explicitly.

    Only running executions are counted by default. Closed executions stay
    on the server until the namespace's retention period removes them, and
    until then they can still be queried, reset and replayed (with the code
    of the day): --include-closed counts them too.

    Exit status: 0 every asked stage is safe, 1 one is not, 2 bad usage, an
    ID the code does not hold, or a server that cannot be reached.
    """
    from patchmod.cli import api

    start = ctx.obj["directory"] if ctx.obj else os.getcwd()
    server = ServerOptions(address=address, namespace=namespace, api_key=api_key, tls=tls)
    try:
        report = api.ready(start, list(patch_ids), server=server, stage=stage,
                           include_closed=include_closed, workflow_types=list(workflow_types) or None)
    except PatchmodError as exc:
        for line in exc.lines:
            echo_err(line)
        if as_json:
            print_json({"command": "ready", "address": address, "namespace": namespace,
                        "include_closed": include_closed, "patches": [], "safe": False,
                        "message": exc.lines[0], "errors": exc.errors})
        ctx.exit(exc.exit_code)
        return
    if as_json:
        print_json(report.as_dict())
    else:
        for line in report.problems:
            echo_err(f"warning: {line}")
        for line in report.lines():
            click.echo(line)
        click.echo(report.note)
    ctx.exit(report.exit_code)
