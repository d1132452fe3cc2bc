"""The pull request a stage's commit deserves: a short title and a markdown
body saying what changed, in which workflows, and what must be true before
merging. `introduce`, `deprecate` and `remove` put it in their --json
(`pull_request: {title, body}`) for a bot to open.

Plain data in, plain data out: no git, no server. A readiness answer, when
the command asked for one (`--require-ready`), is passed in as lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from patchmod.cli.output import qualified_name

TITLE_LIMIT = 72  # characters, as for a commit subject
_PAST = {"introduce": "introduced", "deprecate": "deprecated", "remove": "removed"}
_WHAT = {
    "introduce": "the changed workflow code now runs under `workflow.patched(ID)`: executions that "
                 "started before the change replay the old code, new ones take the new path.",
    "deprecate": "every `workflow.patched(ID)` became `workflow.deprecate_patch(ID)` in place; only the "
                 "code that runs with the patch taken stays.",
    "remove": "the `workflow.deprecate_patch(ID)` calls are gone; the code no longer names the ids.",
}


def title(command: str, patch_ids: Sequence[str]) -> str:
    """`patchmod: deprecate add-fraud-check-v1`; with many ids, the first
    ones and a count, so that it stays under `TITLE_LIMIT` characters."""
    full = f"patchmod: {command} {' '.join(patch_ids)}"
    if len(full) <= TITLE_LIMIT or len(patch_ids) == 1:
        return full
    for shown in range(len(patch_ids) - 1, 0, -1):
        text = f"patchmod: {command} {' '.join(patch_ids[:shown])} and {len(patch_ids) - shown} more"
        if len(text) <= TITLE_LIMIT:
            return text
    return f"patchmod: {command} {patch_ids[0]} and {len(patch_ids) - 1} more"


def _code(text: str) -> str:
    return f"`{text}`"


def _ids(patch_ids: Sequence[str]) -> str:
    return " ".join(patch_ids)


def before_merging(command: str, patch_ids: Sequence[str], retention: str | None = None,
                   server: str | None = None) -> list[str]:
    """What must be true before the pull request is merged, as paragraphs.
    `server`: the `--address ... --namespace ...` options to show."""
    ids = _ids(patch_ids)
    where = server or "--address HOST:PORT --namespace NS"
    if command == "introduce":
        return [
            "**Before merging**: nothing to wait for. Executions that started before this change "
            "replay the old code (their histories hold no marker, so `patched` is false for them); "
            "new ones take the new path once this code is deployed to every worker of these workflows.",
            "Once it runs, do not roll back to code without the patch while executions that recorded "
            "its marker are open or retained: the old code cannot replay them. "
            f"The next stage, `patchmod deprecate {ids}`, comes once "
            f"`patchmod ready {ids} --stage deprecate --include-closed` says safe.",
        ]
    kept = f" (here: {retention})" if retention else ""
    if command == "deprecate":
        return [
            "**Before merging**: no open or still retained execution of these workflows may lack the "
            "patch marker (one that started before the patch): deprecated code fails to replay it. "
            "Check against your Temporal namespace that this says safe:",
            f"```\npatchmod ready {ids} --stage deprecate --include-closed {where}\n```",
            "Closed executions count until the namespace's retention period removes them"
            f"{kept}: they can still be queried, reset and replayed until then.",
        ]
    return [
        "**Before merging**: no open or still retained execution of these workflows may carry a "
        "non-deprecated marker of these ids (one recorded by `workflow.patched`): after this change "
        "its history no longer replays. Check against your Temporal namespace that this says safe:",
        f"```\npatchmod ready {ids} --stage remove --include-closed {where}\n```",
        "Closed executions count until the namespace's retention period removes them"
        f"{kept}: wait that long after the last execution that ran the `patched` code closed.",
    ]


def body(
    command: str,
    patch_ids: Sequence[str],
    *,
    files: Sequence[str],
    locations: Iterable[str],
    workflows: Sequence[str],
    readiness: Sequence[str] = (),
    retention: str | None = None,
    server: str | None = None,
) -> str:
    """The markdown body. `locations` are the rewritten regions or sites, one
    `path:line ...` each; `workflows` are `Class (path)` labels; `readiness`
    the lines of a `patchmod ready` answer the command consulted."""
    ids = ", ".join(_code(i) for i in patch_ids)
    parts = [
        f"`patchmod {command}` {_PAST[command]} {ids} in {len(files)} file{'s' if len(files) != 1 else ''}.",
        f"**Stage**: {command}: {_WHAT[command]}",
        "**Files**: " + ", ".join(_code(f) for f in files),
        "**Workflows**: " + (", ".join(workflows) if workflows else "none named"),
        "**Changed**:\n\n" + "\n".join(f"- {line}" for line in locations),
        *before_merging(command, patch_ids, retention, server),
    ]
    if readiness:
        parts.append("`patchmod " + command + " --require-ready` asked the server before writing:\n\n```\n"
                     + "\n".join(readiness) + "\n```")
    return "\n\n".join(parts) + "\n"


def region_lines(regions: Iterable[dict]) -> list[str]:
    """`path:start-end Class.method (kind)` per introduce region."""
    out = []
    for r in regions:
        span = f"{r['start_line']}" if r["end_line"] == r["start_line"] else f"{r['start_line']}-{r['end_line']}"
        out.append(f"{r['file']}:{span} {qualified_name(r['class'], r['method'])} ({r['kind']})")
    return out


def site_lines(sites: Iterable[dict], several_ids: bool) -> list[str]:
    """`path:line Class.method (form)` per deprecate/remove site (and the id
    when the command retired several)."""
    out = []
    for s in sites:
        line = f"{s['file']}:{s['line']} {qualified_name(s['class'], s['method'])} ({s['form']})"
        out.append(f"{line} {_code(s['patch_id'])}" if several_ids else line)
    return out


def pull_request(command: str, patch_ids: Sequence[str], **kwargs: Any) -> dict[str, str]:
    """`{"title", "body"}` for the --json object; see `body` for kwargs."""
    return {"title": title(command, patch_ids), "body": body(command, patch_ids, **kwargs)}
