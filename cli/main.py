"""The `patchmod` command group. Commands import their heavy parts (libcst,
GitPython, temporalio) when they run, so `patchmod --help` stays fast."""

from __future__ import annotations

import os

import click
from patchmod.cli.check import check_command
from patchmod.cli.deprecate import deprecate
from patchmod.cli.histories import histories
from patchmod.cli.introduce import introduce
from patchmod.cli.ready import ready
from patchmod.cli.remove import remove
from patchmod.cli.status import status_command
from patchmod.cli.verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", metavar="DIR", default=None,
              type=click.Path(exists=True, file_okay=False),
              help="Run as if patchmod was started in DIR (like git -C).")
@click.version_option(package_name="patchmod", prog_name="patchmod")
@click.pass_context
def main(ctx: click.Context, directory: str | None) -> None:
    """Automate the life of Temporal workflow patches:
    introduce, deprecate, remove."""
    ctx.ensure_object(dict)
    ctx.obj["directory"] = directory if directory is not None else os.getcwd()


main.add_command(introduce)
main.add_command(deprecate)
main.add_command(remove)
main.add_command(status_command)
main.add_command(check_command)
main.add_command(verify)
main.add_command(histories)
main.add_command(ready)


if __name__ == "__main__":  # pragma: no cover
    main()
