"""The command-line side `deprecate` and `remove` share: options, output,
exit status. Light on purpose (click only): the work happens in
`patchmod.cli.api`, imported when a command runs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext

import click
from patchmod.cli.output import echo_err, print_json
from patchmod.cli.server import ServerOptions, server_options


class _NoBar:
    def update(self, n_steps: int) -> None:
        pass


def progress_bar(command: str, stream=None) -> Callable[[int], object]:
    """A progress factory for the API: a click progress bar on `stream`
    (stderr) when it is a terminal and there are many files, else nothing."""
    from patchmod.cli.retire import MANY_FILES

    stream = stream if stream is not None else sys.stderr

    def factory(total: int):
        if total <= MANY_FILES or not stream.isatty():
            return nullcontext(_NoBar())
        return click.progressbar(length=total, label=f"{command}: {total} files",
                                 file=stream, show_pos=True)

    return factory


def retire_command(command: str, short_help: str, doc: str) -> click.Command:
    """The click command `patchmod <command> ID... [--path PATH]...`."""

    @click.command(name=command, short_help=short_help, help=doc)
    @click.argument("patch_ids", nargs=-1, required=True, metavar="ID...")
    @click.option("--path", "paths", multiple=True, metavar="PATH",
                  help="Only files under PATH (a file or folder; repeatable). Default: the whole repository.")
    @click.option("--no-commit", is_flag=True, help="Rewrite the files but do not commit them.")
    @click.option("--dry-run", is_flag=True, help="Print a unified diff; write and commit nothing.")
    @click.option("--branch", metavar="NAME", default=None,
                  help="Create branch NAME at HEAD and check it out, then commit there "
                       "(refused if it exists; not with --no-commit or --dry-run).")
    @click.option("--json", "as_json", is_flag=True,
                  help="Print one JSON object describing the result, with a pull request title and body.")
    @click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                  help="Rewrite in at most N processes (1: no worker processes). "
                       "Default: every core when more than 8 files hold an id.")
    @click.option("--require-ready", is_flag=True,
                  help=f"Before writing anything, ask the Temporal server (as `patchmod ready "
                       f"--stage {command}`) and stop with exit status 1 unless it says safe.")
    @server_options
    @click.option("--include-closed", is_flag=True,
                  help="With --require-ready: count closed executions still inside retention too.")
    @click.pass_context
    def run(ctx: click.Context, patch_ids: tuple[str, ...], paths: tuple[str, ...], no_commit: bool,
            dry_run: bool, branch: str | None, as_json: bool, jobs: int | None, require_ready: bool,
            address: str, namespace: str, api_key: str | None, tls: bool, include_closed: bool) -> None:
        from patchmod.cli import api
        from patchmod.cli.retire import failure_object, site_lines

        start = ctx.obj["directory"]
        server = ServerOptions(address=address, namespace=namespace, api_key=api_key, tls=tls)
        try:
            report = getattr(api, command)(start, list(patch_ids), list(paths) or None,
                                           commit=not no_commit, dry_run=dry_run, jobs=jobs,
                                           progress=progress_bar(command), branch=branch,
                                           require_ready=require_ready, server=server,
                                           include_closed=include_closed)
        except api.PatchmodError as exc:
            for line in exc.lines:
                echo_err(line)
            if as_json:
                print_json(failure_object(command, dict.fromkeys(patch_ids), exc))
            ctx.exit(exc.exit_code)
            return

        if as_json:
            print_json(report.as_dict())
            return
        for line in report.warning_lines:
            echo_err(line)
        if report.readiness_lines:
            echo_err(f"{command}: the server says it is safe ({report.readiness['message']})")
        if dry_run and report.diff:
            click.echo(report.diff, nl=False)
            echo_err(report.message)
            return
        click.echo(report.message)
        for line in site_lines(report.sites):
            click.echo(f"  {line}")

    return run
