"""`patchmod histories pull`: download the histories of executions that match a
visibility query, as JSON files `verify` replays.

`pull_histories()` does the work and returns a `PullReport`; the click group
`histories` and its `pull` command print it. temporalio is imported when a
command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import click
from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import JsonReport, echo_err, print_json
from patchmod.cli.server import ServerOptions, connect, rpc_error, server_options

# Histories fetched at the same time.
CONCURRENCY = 8


def history_file_name(workflow_id: str, run_id: str) -> str:
    """`<workflow_id>_<run_id>.json`, with every character of the workflow id
    that is not safe in a file name (`/`, `%`, spaces...) percent-encoded."""
    return f"{quote(workflow_id, safe='-._~@+=,')}_{quote(run_id, safe='-')}.json"


@dataclass
class PullReport(JsonReport):
    out: str
    query: str
    address: str
    namespace: str
    files: list[dict] = field(default_factory=list)
    message: str = ""

    _KEYS = ("command", "out", "query", "address", "namespace", "files", "count", "open", "message", "errors")

    @property
    def open_count(self) -> int:
        return sum(1 for f in self.files if f["status"] == "Running")

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "histories pull",
            "out": self.out,
            "query": self.query,
            "address": self.address,
            "namespace": self.namespace,
            "files": [dict(f) for f in self.files],
            "count": len(self.files),
            "open": self.open_count,
            "message": self.message,
            "errors": [],
        }


def _status_name(status) -> str | None:
    return status.name.capitalize() if status is not None else None


async def pull_histories_async(
    options: ServerOptions,
    query: str,
    out: str | os.PathLike[str],
    *,
    limit: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_file: Callable[[dict], None] | None = None,
) -> PullReport:
    import asyncio

    from patchmod.cli.readiness import status_from_history
    from temporalio.service import RPCError

    out_dir = os.fspath(out)
    report = PullReport(out=out_dir, query=query, address=options.address, namespace=options.namespace)
    client = await connect(options)
    try:
        total = (await client.count_workflows(query or None)).count
    except RPCError as exc:
        raise rpc_error(exc, f"visibility query {query!r} failed", options) from None
    if limit is not None:
        total = min(total, limit)
    if on_total:
        on_total(total)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise PatchmodError(f"{out_dir}: cannot create the folder: {exc.strerror}") from None

    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def fetch(execution) -> dict:
        async with semaphore:
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            history = await handle.fetch_history()
        # The history is newer than the listing (visibility lags a moment).
        status = status_from_history(history.events, _status_name(execution.status))
        name = history_file_name(execution.id, execution.run_id)
        path = os.path.join(out_dir, name)
        tmp = path + ".part"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(history.to_json() + "\n")
        os.replace(tmp, path)
        entry = {
            "file": name,
            "workflow_id": execution.id,
            "run_id": execution.run_id,
            "workflow_type": execution.workflow_type,
            "status": status,
            "events": len(history.events),
        }
        if on_file:
            on_file(entry)
        return entry

    tasks = []
    try:
        async for execution in client.list_workflows(query or None, limit=limit):
            tasks.append(asyncio.create_task(fetch(execution)))
        entries = await asyncio.gather(*tasks)
    except RPCError as exc:
        for t in tasks:
            t.cancel()
        raise rpc_error(exc, f"pulling histories for {query!r} failed", options) from None
    report.files = sorted(entries, key=lambda e: e["file"])
    report.message = pull_message(len(report.files), report.open_count, out_dir)
    return report


def pull_message(count: int, open_count: int, where: str) -> str:
    message = f"wrote {count} histor{'y' if count == 1 else 'ies'} to {where}"
    if open_count:
        message += (
            f" ({open_count} of them still running: a running execution's history ends where "
            "it waits, and replaying it checks less than a closed one's)"
        )
    return message


def pull_histories(options: ServerOptions, query: str, out: str | os.PathLike[str], *,
                   limit: int | None = None, on_total=None, on_file=None) -> PullReport:
    """Write `<workflow_id>_<run_id>.json` into `out` for every execution the
    visibility `query` matches (at most `limit`). `PatchmodError` when the
    server cannot be reached or refuses the query."""
    import asyncio

    return asyncio.run(pull_histories_async(options, query, out, limit=limit,
                                            on_total=on_total, on_file=on_file))


@click.group("histories", short_help="Download recorded histories for verify.")
def histories() -> None:
    """Work with recorded workflow histories."""


@histories.command("pull", short_help="Download the histories a visibility query matches.")
@server_options
@click.option("--query", "-q", required=True, metavar="QUERY",
              help="Visibility query, e.g. \"WorkflowType = 'OrderWorkflow' AND "
                   "ExecutionStatus = 'Completed'\".")
@click.option("--out", "-o", required=True, metavar="DIR",
              help="Folder for the JSON files (created if missing; files are overwritten).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Download at most N histories.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object listing the files.")
@click.pass_context
def pull(ctx: click.Context, address: str, namespace: str, api_key: str | None, tls: bool,
         query: str, out: str, limit: int | None, as_json: bool) -> None:
    """Download the histories of the executions QUERY matches into DIR.

    Each becomes `<workflow_id>_<run_id>.json` (characters unsafe in a file
    name are percent-encoded), in the JSON format of `temporal workflow show
    --output json`, ready for `patchmod verify --histories DIR`. Closed
    executions can be pulled until the namespace's retention period removes
    them. The history of a running execution ends where it waits: replaying
    it checks only the code that already ran, so prefer closed executions,
    e.g. `ExecutionStatus = 'Completed'`.

    A progress bar goes to stderr when it is a terminal.

    Exit status: 0 done, 2 bad usage, an unreachable server or a refused query.
    """
    start = ctx.obj["directory"] if ctx.obj else os.getcwd()
    out_dir = out if os.path.isabs(out) else os.path.join(start, out)
    options = ServerOptions(address=address, namespace=namespace, api_key=api_key, tls=tls)
    bar = None
    use_bar = not as_json and sys.stderr.isatty()

    def on_total(total: int) -> None:
        nonlocal bar
        if use_bar and total:
            bar = click.progressbar(length=total, label="Pulling histories", file=sys.stderr)
            bar.__enter__()

    def on_file(_entry: dict) -> None:
        if bar is not None:
            bar.update(1)

    from patchmod.cli import api

    try:
        report = api.histories_pull(query, out_dir, server=options, limit=limit, on_total=on_total,
                                    on_file=on_file)
    except PatchmodError as exc:
        if bar is not None:
            bar.__exit__(None, None, None)
        for line in exc.lines:
            echo_err(line)
        if as_json:
            print_json({"command": "histories pull", "out": out, "query": query, "address": address,
                        "namespace": namespace, "files": [], "count": 0, "open": 0,
                        "message": exc.lines[0], "errors": exc.errors})
        ctx.exit(exc.exit_code)
        return
    if bar is not None:
        bar.__exit__(None, None, None)
    report.out = out
    report.message = pull_message(len(report.files), report.open_count, out)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(report.message)
