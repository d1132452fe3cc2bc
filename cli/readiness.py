"""Is it safe to deprecate or remove a patch? Ask the Temporal server.

A plain library, no printing: `check_readiness()` returns a
`ReadinessReport` that `patchmod ready` prints and that `deprecate` /
`remove` can consult before they write anything.

For each patch id:

1. The repository's code says which workflow types hold it: every tracked
   module whose `@workflow.defn` classes reach a `patched("ID")` or
   `deprecate_patch("ID")` call (`codemods.inventory`), each class's type
   being `@workflow.defn(name=...)` or the class name.
2. A visibility query lists the executions of each type: the running ones,
   and with `include_closed` also the closed ones still inside the
   namespace's retention (they can still be queried, reset and replayed).
3. Each listed execution's history is read, and its `core_patch` markers
   (`MarkerRecorded`, marker name `core_patch`, details key `patch-data`:
   JSON `{"id": ..., "deprecated": ...}`) are what counts. The
   `TemporalChangeVersion` search attribute alone cannot answer: it has no
   deprecated flag, and not every SDK or server writes it.

Then, per id and workflow type:

- deprecate is safe when no counted execution lacks the id's marker
  (TEMPORAL.md: deprecated code fails to replay a history recorded before
  the patch);
- remove is safe when no counted execution carries a *non-deprecated*
  marker for the id (code without the call fails to replay it).

An execution that has not yet reached its `patched()` call has no marker
either: it is counted as lacking it. That is on the safe side: the history
alone cannot tell whether the code will reach the call later.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from patchmod.cli.errors import PatchmodError
from patchmod.cli.output import JsonReport
from patchmod.cli.server import ServerOptions, connect, quote_query_value, rpc_error

MARKER_NAME = "core_patch"
DETAILS_KEY = "patch-data"
MAX_BLOCKING = 5  # workflow ids shown per stage and type
CONCURRENCY = 16  # histories read at the same time
STAGES = ("deprecate", "remove")
STAGE_CHOICES = ("next", "deprecate", "remove", "both")

RETENTION_NOTE = (
    "Closed executions stay on the server until the namespace's retention period "
    "removes them, and until then they can still be queried, reset and replayed: "
    "count them with --include-closed."
)


# --- what the code says ---------------------------------------------------------


@dataclass
class PatchCode:
    """Where the repository's code holds one patch id."""

    patch_id: str
    sites: list[dict] = field(default_factory=list)  # file, line, stage, class, workflow_types
    workflow_types: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str | None:
        """"active" while any `patched(ID)` is left, else "deprecated"; None
        when the code holds the id nowhere."""
        stages = {s["stage"] for s in self.sites}
        if "active" in stages:
            return "active"
        return "deprecated" if stages else None

    @property
    def next_stage(self) -> str | None:
        return {"active": "deprecate", "deprecated": "remove"}.get(self.stage or "")


def find_patch_code(root: str | os.PathLike[str], patch_ids: Iterable[str]) -> dict[str, PatchCode]:
    """For each id, its sites in the tracked .py files under `root` (a git
    working tree) and the workflow types whose code reaches them."""
    from pathlib import Path

    from patchmod.cli import workflow_types as wt
    from patchmod.codemods.inventory import inventory

    root_path = Path(os.fspath(root))
    ids = list(dict.fromkeys(patch_ids))
    found = {pid: PatchCode(pid) for pid in ids}
    paths: set[str] = set()
    for pid in ids:
        paths.update(wt.tracked_python_files(root_path, pid))
    for path in sorted(paths):
        try:
            text = (root_path / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        inv = inventory(text)
        sites = [s for s in inv.sites if s.patch_id in found]
        if not sites:
            continue
        module = wt.read_module(root_path, path, text)
        types = {c.class_name: c for c in module.classes}
        for site in sites:
            code = found[site.patch_id]
            owners = list(site.workflows) or ([site.class_name] if site.class_name in types else [])
            site_types = []
            for owner in owners:
                cls = types.get(owner)
                if cls is None:
                    continue
                if cls.type_name is None:
                    why = "a dynamic workflow" if cls.dynamic else "its name= is not a string literal"
                    code.problems.append(
                        f"{path}:{cls.line}: cannot tell the workflow type of {owner} ({why}); "
                        "name it with --workflow-type"
                    )
                    continue
                site_types.append(cls.type_name)
                if cls.type_name not in code.workflow_types:
                    code.workflow_types.append(cls.type_name)
            code.sites.append({
                "file": path,
                "line": site.line,
                "stage": site.stage,
                "class": site.class_name,
                "workflow_types": site_types,
            })
    for code in found.values():
        code.workflow_types.sort()
    return found


# --- what the server says -------------------------------------------------------


@dataclass
class Execution:
    workflow_id: str
    run_id: str
    status: str  # "Running", "Completed", ... (from the history when it has closed)
    # patch id -> True when every marker for it is deprecated, False when any is not.
    markers: dict[str, bool] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.status == "Running"

    def ref(self) -> dict[str, str]:
        return {"workflow_id": self.workflow_id, "run_id": self.run_id, "status": self.status}


def patch_markers(events) -> list[dict]:
    """The decoded `patch-data` of every `core_patch` marker in `events`
    (protobuf `HistoryEvent`s)."""
    from temporalio.api.enums.v1 import EventType

    markers = []
    for event in events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name != MARKER_NAME or DETAILS_KEY not in attrs.details:
            continue
        for payload in attrs.details[DETAILS_KEY].payloads:
            try:
                data = json.loads(payload.data)
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                markers.append({"id": data["id"], "deprecated": bool(data.get("deprecated"))})
    return markers


_CLOSED_EVENTS = {
    "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED": "Completed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED": "Failed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT": "Timed_out",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED": "Canceled",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED": "Terminated",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW": "Continued_as_new",
}


def status_from_history(events, listed: str | None) -> str:
    """`Running`, or how the history says the execution closed."""
    from temporalio.api.enums.v1 import EventType

    if not events:
        return listed or "Running"
    return _CLOSED_EVENTS.get(EventType.Name(events[-1].event_type), "Running")


def visibility_query(workflow_type: str, include_closed: bool) -> str:
    query = f"WorkflowType = {quote_query_value(workflow_type)}"
    if not include_closed:
        query += " AND ExecutionStatus = 'Running'"
    return query


async def list_executions(client, workflow_type: str, patch_ids: set[str], include_closed: bool,
                          options: ServerOptions) -> list[Execution]:
    """The executions of `workflow_type` (running, or all within retention),
    each with its markers for `patch_ids`, read from its history."""
    import asyncio

    from temporalio.service import RPCError

    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def read(execution) -> Execution | None:
        listed = execution.status.name.capitalize() if execution.status is not None else "Running"
        async with semaphore:
            try:
                history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
            except RPCError as exc:
                if exc.status.name == "NOT_FOUND":  # left retention meanwhile
                    return None
                raise
        events = list(history.events)
        status = status_from_history(events, listed)
        if not include_closed and status != "Running":
            return None  # closed after the visibility listing
        markers: dict[str, bool] = {}
        for marker in patch_markers(events):
            if marker["id"] in patch_ids:
                markers[marker["id"]] = markers.get(marker["id"], True) and marker["deprecated"]
        return Execution(execution.id, execution.run_id, status, markers)

    query = visibility_query(workflow_type, include_closed)
    try:
        tasks = [asyncio.create_task(read(e)) async for e in client.list_workflows(query)]
        results = await asyncio.gather(*tasks)
    except RPCError as exc:
        raise rpc_error(exc, f"listing executions of {workflow_type!r} failed", options) from None
    return sorted((r for r in results if r is not None), key=lambda e: (e.workflow_id, e.run_id))


async def namespace_retention(client) -> float | None:
    """The namespace's retention period in seconds, when the server says."""
    try:
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

        resp = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace)
        )
        ttl = resp.config.workflow_execution_retention_ttl
        return ttl.seconds + ttl.nanos / 1e9 if resp.config.HasField("workflow_execution_retention_ttl") else None
    except Exception:
        return None


# --- the answer -----------------------------------------------------------------


@dataclass
class TypeReadiness:
    """One patch id on one workflow type."""

    patch_id: str
    workflow_type: str
    executions: list[Execution] = field(default_factory=list)

    @property
    def without_marker(self) -> list[Execution]:
        return [e for e in self.executions if self.patch_id not in e.markers]

    @property
    def with_marker(self) -> list[Execution]:
        """Executions carrying a non-deprecated marker for the id."""
        return [e for e in self.executions if e.markers.get(self.patch_id) is False]

    @property
    def with_deprecated_marker(self) -> list[Execution]:
        return [e for e in self.executions if e.markers.get(self.patch_id) is True]

    @property
    def deprecate_safe(self) -> bool:
        return not self.without_marker

    @property
    def remove_safe(self) -> bool:
        return not self.with_marker

    def safe(self, stage: str) -> bool:
        return self.deprecate_safe if stage == "deprecate" else self.remove_safe

    def blocking(self, stage: str) -> list[Execution]:
        return self.without_marker if stage == "deprecate" else self.with_marker

    def as_dict(self) -> dict[str, Any]:
        return {
            "workflow_type": self.workflow_type,
            "counted": len(self.executions),
            "open": sum(1 for e in self.executions if e.open),
            "closed": sum(1 for e in self.executions if not e.open),
            "without_marker": len(self.without_marker),
            "with_marker": len(self.with_marker),
            "with_deprecated_marker": len(self.with_deprecated_marker),
            "deprecate_safe": self.deprecate_safe,
            "remove_safe": self.remove_safe,
            "blocking_deprecate": [e.ref() for e in self.without_marker[:MAX_BLOCKING]],
            "blocking_remove": [e.ref() for e in self.with_marker[:MAX_BLOCKING]],
        }


@dataclass
class PatchReadiness:
    patch_id: str
    stages: tuple[str, ...]  # the stages asked about: ("deprecate",), ("remove",) or both
    code: PatchCode | None
    types: list[TypeReadiness] = field(default_factory=list)

    @property
    def deprecate_safe(self) -> bool:
        return all(t.deprecate_safe for t in self.types)

    @property
    def remove_safe(self) -> bool:
        return all(t.remove_safe for t in self.types)

    @property
    def safe(self) -> bool:
        return all(t.safe(stage) for t in self.types for stage in self.stages)

    def as_dict(self) -> dict[str, Any]:
        return {
            "patch_id": self.patch_id,
            "stages": list(self.stages),
            "code_stage": self.code.stage if self.code else None,
            "sites": [dict(s) for s in self.code.sites] if self.code else [],
            "workflow_types": [t.as_dict() for t in self.types],
            "deprecate_safe": self.deprecate_safe,
            "remove_safe": self.remove_safe,
            "safe": self.safe,
        }


@dataclass
class ReadinessReport(JsonReport):
    """The answer for every id asked. `safe` is True when every asked stage
    of every id is safe; reads like the --json object."""

    address: str
    namespace: str
    include_closed: bool
    patches: list[PatchReadiness] = field(default_factory=list)
    retention_seconds: float | None = None
    problems: list[str] = field(default_factory=list)  # warnings from the code scan

    _KEYS = ("command", "address", "namespace", "include_closed", "counted", "retention_seconds",
             "patches", "safe", "message", "note", "warnings", "errors")

    @property
    def safe(self) -> bool:
        return all(p.safe for p in self.patches)

    @property
    def exit_code(self) -> int:
        return 0 if self.safe else 1

    @property
    def counted(self) -> str:
        return "running and closed executions within retention" if self.include_closed else "running executions"

    @property
    def message(self) -> str:
        parts = []
        for p in self.patches:
            for stage in p.stages:
                ok = all(t.safe(stage) for t in p.types)
                parts.append(f"{stage} {p.patch_id}: {'safe' if ok else 'not safe'}")
        return "; ".join(parts)

    @property
    def retention(self) -> str | None:
        """The namespace's retention period in words ("3 days"), when known."""
        return _duration(self.retention_seconds) if self.retention_seconds else None

    @property
    def note(self) -> str:
        counted = f"Counted: {self.counted} of namespace {self.namespace}."
        if self.include_closed:
            note = (f"{counted} Closed executions stay on the server until the namespace's "
                    "retention period removes them, and until then they can still be queried, "
                    "reset and replayed.")
        else:
            note = f"{counted} {RETENTION_NOTE}"
        if self.retention:
            note += f" Retention here: {self.retention}."
        return note

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "ready",
            "address": self.address,
            "namespace": self.namespace,
            "include_closed": self.include_closed,
            "counted": self.counted,
            "retention_seconds": self.retention_seconds,
            "patches": [p.as_dict() for p in self.patches],
            "safe": self.safe,
            "message": self.message,
            "note": self.note,
            "warnings": list(self.problems),
            "errors": [],
        }

    def lines(self) -> list[str]:
        """The report for people, one line each."""
        out = []
        what = "execution" if self.include_closed else "running execution"
        for p in self.patches:
            for stage in p.stages:
                ok = all(t.safe(stage) for t in p.types)
                out.append(f"{stage} {p.patch_id}: {'safe' if ok else 'NOT SAFE'}")
            for t in p.types:
                out.append(
                    f"  {t.workflow_type}: {_count(len(t.executions), what)}: "
                    f"{len(t.without_marker)} without the marker, {len(t.with_marker)} with it, "
                    f"{len(t.with_deprecated_marker)} with it deprecated"
                )
                for stage in p.stages:
                    blocking = t.blocking(stage)
                    if not blocking:
                        continue
                    one = len(blocking) == 1
                    why = (f"{'lacks' if one else 'lack'} the marker (started before the patch, "
                           f"or {'has' if one else 'have'} not reached it)"
                           if stage == "deprecate" else
                           f"{'carries' if one else 'carry'} a non-deprecated marker")
                    shown = ", ".join(_execution_label(e, self.include_closed) for e in blocking[:MAX_BLOCKING])
                    more = f" and {len(blocking) - MAX_BLOCKING} more" if len(blocking) > MAX_BLOCKING else ""
                    out.append(f"    {stage} blocked by {_count(len(blocking), 'execution')} that {why}: "
                               f"{shown}{more}")
        return out


class NotReady(PatchmodError):
    """`deprecate` / `remove --require-ready`: the server says the stage is
    not safe yet, so nothing was written. Exit status 1, as `ready` answers
    "not safe": the check found a problem (2 stays for bad usage, bad input
    and an unreachable server). `readiness` is the server's answer."""

    exit_code = 1

    def __init__(self, command: str, readiness: ReadinessReport):
        self.readiness = readiness
        first = f"{command} refused: the server says it is not safe yet; nothing written"
        super().__init__(
            [first, *readiness.lines(), readiness.note],
            [{"file": None, "line": None, "message": f"{first} ({readiness.message})"}],
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _execution_label(e: Execution, show_status: bool) -> str:
    return f"{e.workflow_id} ({e.status.lower()})" if show_status else e.workflow_id


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{seconds:g} s"


def stages_for(stage: str, code: PatchCode | None) -> tuple[str, ...]:
    """The stages to answer for: `next` is the one the code is at the door
    of (deprecate while a `patched()` site is left, then remove)."""
    if stage == "both":
        return STAGES
    if stage in STAGES:
        return (stage,)
    if stage != "next":
        raise PatchmodError(f"--stage {stage}: expected one of {', '.join(STAGE_CHOICES)}")
    nxt = code.next_stage if code else None
    if nxt is None:
        raise PatchmodError(
            "--stage next needs the code to tell the stage: say --stage deprecate, remove or both"
        )
    return (nxt,)


async def check_readiness_async(
    start: str | os.PathLike[str] | None,
    patch_ids: list[str],
    *,
    server: ServerOptions,
    stage: str = "next",
    include_closed: bool = False,
    workflow_types: list[str] | None = None,
) -> ReadinessReport:
    """See `check_readiness`."""
    import asyncio

    if not patch_ids:
        raise PatchmodError("name at least one patch ID")
    if any(not pid for pid in patch_ids):
        raise PatchmodError("a patch ID cannot be empty")
    patch_ids = list(dict.fromkeys(patch_ids))

    codes: dict[str, PatchCode | None] = dict.fromkeys(patch_ids)
    problems: list[str] = []
    if workflow_types:
        types_by_id = {pid: sorted(set(workflow_types)) for pid in patch_ids}
    else:
        if start is None:
            raise PatchmodError("without --workflow-type, the repository's code names the workflow types")
        from patchmod.cli import repo as repo_mod

        root = repo_mod.root_of(repo_mod.open_repo(start))
        found = find_patch_code(root, patch_ids)
        codes.update(found)
        types_by_id = {}
        missing = []
        for pid in patch_ids:
            code = found[pid]
            problems.extend(code.problems)
            if not code.sites:
                missing.append(f"{pid}: no patched({pid!r}) or deprecate_patch({pid!r}) call in the "
                               "repository's tracked files; name the workflow types with --workflow-type")
            elif not code.workflow_types:
                sites = ", ".join(f"{s['file']}:{s['line']}" for s in code.sites)
                missing.append(f"{pid}: no @workflow.defn class reaches its calls ({sites}); "
                               "name the workflow types with --workflow-type")
            types_by_id[pid] = code.workflow_types
        if missing:
            raise PatchmodError(missing + problems)
    asked = {pid: stages_for(stage, codes[pid]) for pid in patch_ids}

    client = await connect(server)
    all_types = sorted({t for types in types_by_id.values() for t in types})
    ids_by_type = {t: {pid for pid, types in types_by_id.items() if t in types} for t in all_types}
    listed = await asyncio.gather(*(
        list_executions(client, t, ids_by_type[t], include_closed, server) for t in all_types
    ))
    executions = dict(zip(all_types, listed))
    report = ReadinessReport(address=server.address, namespace=server.namespace,
                             include_closed=include_closed, problems=problems,
                             retention_seconds=await namespace_retention(client))
    for pid in patch_ids:
        report.patches.append(PatchReadiness(
            patch_id=pid,
            stages=asked[pid],
            code=codes[pid],
            types=[TypeReadiness(pid, t, executions[t]) for t in types_by_id[pid]],
        ))
    return report


def check_readiness(
    start: str | os.PathLike[str] | None,
    patch_ids: list[str],
    *,
    server: ServerOptions,
    stage: str = "next",
    include_closed: bool = False,
    workflow_types: list[str] | None = None,
) -> ReadinessReport:
    """Whether each id's stage is safe on the server `server`.

    `start` is a folder in the repository whose code names the workflow
    types (unless `workflow_types` names them). `stage` is "deprecate",
    "remove", "both" or "next" (the stage the code is ready for: deprecate
    while a `patched()` call is left, else remove). With `include_closed`,
    closed executions still inside retention count too.

    Raises `PatchmodError` (exit status 2) for a bad id, an id the code
    does not hold, an unreachable server or a refused query. The answer is
    `report.safe` / `report.exit_code`; the details are data
    (`report.patches[i].types[j].without_marker` ...).
    """
    import asyncio

    return asyncio.run(check_readiness_async(
        start, patch_ids, server=server, stage=stage,
        include_closed=include_closed, workflow_types=workflow_types,
    ))
