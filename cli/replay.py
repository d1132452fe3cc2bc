"""Replay recorded histories against workflow classes, in a fresh interpreter.

`patchmod verify` runs this file as a script in a child process:

    PYTHON replay.py SPEC.json RESULTS.jsonl

so that the user's workflow modules are imported by a clean interpreter with
the repository on `sys.path` (the workflow sandbox re-imports them by name),
with bytecode caching sent to an empty folder (no stale `.pyc` from a file
rewritten within the same second), and so that a crash or a hang of the
replayer cannot take patchmod down with it. The file imports nothing from
patchmod, only the standard library and temporalio: any interpreter that can
import the workflow code and temporalio can run it (`verify --python`).

SPEC.json:
    {"sys_path": [...],                 # prepended, in order
     "targets": [{"module": "pkg.orders", "classes": ["OrderWorkflow"] | null,
                  "static_types": {"OrderWorkflow": "OrderWorkflow"},
                  "label": "pkg/orders.py"}],
     "histories": [{"path": "/abs/h.json", "label": "h.json"}]}

`classes: null` means every `@workflow.defn` class the module defines.
RESULTS.jsonl gets one JSON object per line, flushed as it goes: first
`{"kind": "import", ...}` records, then one `{"kind": "result", "index": i,
"status": ..., ...}` per history (see `HistoryResult`).

Statuses: "ok"; "nondeterminism" (with `event_id` and the SDK's message);
"error" with a `reason`: "bad_history", "import_error",
"unknown_workflow_type", "ambiguous_workflow_type", "replay_error";
"skipped" (no workflow task ever started: no workflow code ran).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import sys
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

# --- reading histories (no temporalio needed) --------------------------------

STARTED_KEY = "workflowExecutionStartedEventAttributes"
_WFT_STARTED_NAMES = {"EVENT_TYPE_WORKFLOW_TASK_STARTED", "WorkflowTaskStarted", "WORKFLOW_TASK_STARTED"}


@dataclass
class HistoryInfo:
    """What a history file says about itself, read with plain `json`."""

    workflow_type: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None
    events: int = 0
    task_started: bool = False
    problem: str | None = None  # why the file is not a usable history


def _event_type_name(event: dict) -> str:
    value = event.get("eventType", event.get("event_type"))
    return str(value) if value is not None else ""


def read_history_info(data: Any) -> HistoryInfo:
    """Workflow type, ids and sanity of a parsed history JSON document."""
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return HistoryInfo(problem='not a workflow history: no "events" list at the top level')
    events = data["events"]
    if not events:
        return HistoryInfo(problem="the history has no events")
    first = events[0]
    attrs = first.get(STARTED_KEY) if isinstance(first, dict) else None
    if not isinstance(attrs, dict):
        return HistoryInfo(events=len(events),
                           problem="the first event is not WorkflowExecutionStarted")
    workflow_type = (attrs.get("workflowType") or {}).get("name")
    info = HistoryInfo(
        workflow_type=workflow_type if isinstance(workflow_type, str) and workflow_type else None,
        workflow_id=attrs.get("workflowId") or None,
        run_id=attrs.get("originalExecutionRunId") or None,
        events=len(events),
        task_started=any(isinstance(e, dict) and _event_type_name(e) in _WFT_STARTED_NAMES
                         or (isinstance(e, dict) and "workflowTaskStartedEventAttributes" in e)
                         for e in events),
    )
    if info.workflow_type is None:
        info.problem = "the WorkflowExecutionStarted event names no workflow type"
    return info


# --- results ------------------------------------------------------------------


@dataclass
class HistoryResult:
    index: int
    status: str  # ok, nondeterminism, error, skipped
    reason: str | None = None
    message: str | None = None
    event_id: int | None = None
    workflow: str | None = None  # "module:Class" the history was replayed against
    kind: str = "result"


@dataclass
class ImportRecord:
    module: str
    label: str
    ok: bool
    message: str | None = None
    classes: dict[str, str | None] = field(default_factory=dict)  # class -> type (None: dynamic)
    kind: str = "import"


_FAILURE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


def sdk_message(error: BaseException) -> str:
    """The SDK's own words for a replay failure: Core's failure message when
    the text is Core's `Failure { message: "..." }` debug form."""
    text = str(error)
    match = _FAILURE_MESSAGE.search(text)
    if match:
        try:
            return json.loads(f'"{match.group(1)}"')
        except ValueError:
            return match.group(1)
    return text.strip() or type(error).__name__


# --- locating the event of a non-determinism -----------------------------------

_EVENT_ID_IN_TEXT = re.compile(r"HistoryEvent\(id: (\d+)|event[ _]id[:= ]+(\d+)", re.IGNORECASE)
_CHANGE_ID = re.compile(r"for change (\S+?)(?:[,!]|\s|$)")


def _command_event_name(event) -> str | None:
    """The name a command event carries: activity type, timer id, patch id..."""
    which = event.WhichOneof("attributes")
    if which is None:
        return None
    attrs = getattr(event, which)
    if which == "activity_task_scheduled_event_attributes":
        return attrs.activity_type.name
    if which == "timer_started_event_attributes":
        return attrs.timer_id
    if which == "start_child_workflow_execution_initiated_event_attributes":
        return attrs.workflow_type.name
    if which == "signal_external_workflow_execution_initiated_event_attributes":
        return attrs.signal_name
    if which == "marker_recorded_event_attributes":
        if attrs.marker_name == "core_patch" and "patch-data" in attrs.details:
            try:
                return json.loads(attrs.details["patch-data"].payloads[0].data).get("id")
            except (ValueError, IndexError, AttributeError):
                return None
        return attrs.marker_name
    return None


def _completed_by(event) -> int | None:
    which = event.WhichOneof("attributes")
    if which is None:
        return None
    attrs = getattr(event, which)
    try:
        value = attrs.workflow_task_completed_event_id
    except AttributeError:
        return None
    return int(value) or None


def event_of_failure(events: list, task: int, message: str) -> int | None:
    """The id of the event the failing workflow task's commands did not match.

    `task` is the 0-based index of the workflow task (counted by its
    WorkflowTaskStarted event) whose commands failed. Among the events that
    task's completion produced, pick the one the message names (an activity
    type, a timer id, a patch id), else the first; with none, the task's
    WorkflowTaskCompleted event.
    """
    from temporalio.api.enums.v1 import EventType

    direct = _EVENT_ID_IN_TEXT.search(message)
    if direct:
        return int(direct.group(1) or direct.group(2))
    started = [i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
    if task >= len(started):
        return None
    completed_id = None
    for e in events[started[task] + 1:]:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            completed_id = int(e.event_id)
            break
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            break
    if completed_id is None:
        return int(events[started[task]].event_id)
    produced = [e for e in events if _completed_by(e) == completed_id]
    names = set(re.findall(r"'([^']+)'", message)) | set(_CHANGE_ID.findall(message))
    for e in produced:
        if _command_event_name(e) in names:
            return int(e.event_id)
    if produced:
        return int(produced[0].event_id)
    return completed_id


# --- importing the workflow code ------------------------------------------------


def install_fresh_source_loader(roots: list[str]) -> None:
    """Import modules found under `roots` from their source, never from a
    `.pyc`, and write no bytecode.

    A `.pyc` is trusted when the source's mtime (in whole seconds) and size
    match: a file rewritten within the same second at the same size would
    run the old code (TEMPORAL.md). Only the user's folders are affected;
    installed packages (site-packages, even inside the repository) keep
    their bytecode, which is what keeps start-up fast.
    """
    import importlib.machinery as machinery
    import os

    sys.dont_write_bytecode = True
    real_roots = [os.path.realpath(r) for r in roots]

    class SourceOnlyLoader(machinery.SourceFileLoader):
        def get_code(self, fullname):
            source = self.get_data(self.path)
            return self.source_to_code(source, self.path)

    loaders = [
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
        (SourceOnlyLoader, machinery.SOURCE_SUFFIXES),
    ]

    def hook(path: str):
        real = os.path.realpath(path or ".")
        parts = real.split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts or not os.path.isdir(real):
            raise ImportError("not a workflow code folder")
        if not any(real == r or real.startswith(r + os.sep) for r in real_roots):
            raise ImportError("not a workflow code folder")
        return machinery.FileFinder(path, *loaders)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()



def _definition(cls: type):
    defn = getattr(cls, "__temporal_workflow_definition", None)
    if defn is not None and getattr(defn, "cls", None) is cls:
        return defn
    return None


def import_targets(targets: list[dict]) -> tuple[list[ImportRecord], dict[str, list[tuple[str, type]]], list[tuple[str, type]]]:
    """Import every target module; the records, the classes by workflow type
    (`"module:Class"`, class) and the dynamic workflow classes."""
    records: list[ImportRecord] = []
    by_type: dict[str, list[tuple[str, type]]] = {}
    dynamic: list[tuple[str, type]] = []
    for target in targets:
        module_name = target["module"]
        record = ImportRecord(module=module_name, label=target.get("label") or module_name, ok=True)
        try:
            module = importlib.import_module(module_name)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            record.ok = False
            record.message = _one_line_exception(exc)
            records.append(record)
            continue
        wanted = target.get("classes")
        if wanted is None:
            candidates = [
                (name, obj) for name, obj in vars(module).items()
                if isinstance(obj, type) and _definition(obj) is not None
                and getattr(obj, "__module__", None) == module.__name__
            ]
        else:
            candidates = []
            for name in wanted:
                obj = getattr(module, name, None)
                if obj is None:
                    record.ok = False
                    record.message = f"module {module_name!r} has no attribute {name!r}"
                elif not isinstance(obj, type) or _definition(obj) is None:
                    record.ok = False
                    record.message = f"{module_name}:{name} is not a @workflow.defn class"
                else:
                    candidates.append((name, obj))
        for name, cls in candidates:
            defn = _definition(cls)
            qualified = f"{module_name}:{name}"
            record.classes[name] = defn.name
            if defn.name is None:
                dynamic.append((qualified, cls))
            else:
                entries = by_type.setdefault(defn.name, [])
                if all(existing is not cls for _, existing in entries):
                    entries.append((qualified, cls))
        records.append(record)
    return records, by_type, dynamic


def _one_line_exception(exc: BaseException) -> str:
    """`ExcType: message (file:line)` where the import failed, for a report."""
    where = ""
    tb = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in tb if "importlib" not in f.filename and f.filename != __file__]
    if frames:
        where = f" ({frames[-1].filename}:{frames[-1].lineno})"
    elif isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({exc.filename}:{exc.lineno})"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"


# --- replaying --------------------------------------------------------------------


def _quiet_runtime():
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")),
            metrics=None,
        ),
        worker_heartbeat_interval=None,
    )


async def _replay_all(replayer, histories: list) -> list[BaseException | None]:
    """Replay `histories` with one replayer, in order; each one's failure."""

    async def feed():
        for history in histories:
            yield history

    failures: list[BaseException | None] = []
    async with replayer.workflow_replay_iterator(feed()) as results:
        async for result in results:
            failures.append(result.replay_failure)
    return failures


async def locate_nondeterminism(replayer, items: list[tuple[int, list, str]]) -> dict[int, int | None]:
    """Event ids of non-determinism failures, by bisecting on history prefixes.

    A prefix that ends with a WorkflowTaskStarted event is what a worker sees
    when it gets that task: every earlier task's commands are checked against
    the history, that one's are not. The first failing prefix therefore names
    the task whose commands went wrong. All the histories are bisected
    together, one replay pass per round.
    """
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import WorkflowHistory

    state = {}
    for key, events, message in items:
        starts = [i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]
        # Search task index t in [lo, hi]: prefix through starts[t] fails iff the
        # failing task is before t. hi = len(starts): "the last task".
        state[key] = [1, len(starts), starts, events, message]
    while True:
        pending = [(k, s) for k, s in state.items() if s[0] < s[1]]
        if not pending:
            break
        prefixes = []
        for key, (lo, hi, starts, events, _) in pending:
            mid = (lo + hi) // 2
            prefixes.append(WorkflowHistory(f"patchmod-locate-{key}-{mid}", events[: starts[mid] + 1]))
        failures = await _replay_all(replayer, prefixes)
        for (_key, s), failure in zip(pending, failures):
            mid = (s[0] + s[1]) // 2
            if failure is not None:
                s[1] = mid  # the failing task is before mid
            else:
                s[0] = mid + 1
    located = {}
    for key, (lo, _hi, _starts, events, message) in state.items():
        # lo is the first prefix end that fails (or len(starts): none did):
        # the failing task is the one before it.
        located[key] = event_of_failure(events, lo - 1, message)
    return located


async def replay_spec(spec: dict, emit) -> None:
    """Import the targets, then replay and report every history in `spec`."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer
    from temporalio.workflow import NondeterminismError

    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    install_fresh_source_loader(spec.get("sys_path", []))
    importlib.invalidate_caches()

    records, by_type, dynamic = import_targets(spec.get("targets", []))
    for record in records:
        emit(asdict(record))
    failed_imports = [r for r in records if not r.ok]
    static_types: dict[str, list[str]] = {}
    for target in spec.get("targets", []):
        for cls_name, type_name in (target.get("static_types") or {}).items():
            if type_name:
                static_types.setdefault(type_name, []).append(f"{target['module']}:{cls_name}")

    runnable: list[tuple[int, Any, str]] = []  # (index, WorkflowHistory, "module:Class")
    classes: dict[str, type] = {}
    for index, item in enumerate(spec["histories"]):
        try:
            with open(item["path"], encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            emit(asdict(HistoryResult(index, "error", "bad_history", f"cannot read JSON: {exc}")))
            continue
        info = read_history_info(data)
        if info.problem:
            emit(asdict(HistoryResult(index, "error", "bad_history", info.problem)))
            continue
        if not info.task_started:
            emit(asdict(HistoryResult(index, "skipped", None,
                                      "no workflow task has started yet: no workflow code ran, nothing to replay")))
            continue
        matches = by_type.get(info.workflow_type, [])
        if len(matches) > 1:
            names = ", ".join(q for q, _ in matches)
            emit(asdict(HistoryResult(
                index, "error", "ambiguous_workflow_type",
                f"workflow type {info.workflow_type!r} is defined by {len(matches)} classes ({names}): "
                "choose one with --workflow MODULE:CLASS")))
            continue
        if not matches:
            broken = [r for r in failed_imports
                      if any(q.startswith(f"{r.module}:") for q in static_types.get(info.workflow_type, []))]
            if not broken and not dynamic and failed_imports and not static_types.get(info.workflow_type):
                # We cannot tell which class a module that did not import
                # would have defined: blame every failed import.
                broken = failed_imports
            if broken:
                emit(asdict(HistoryResult(
                    index, "error", "import_error",
                    "; ".join(f"cannot import {r.label}: {r.message}" for r in broken))))
                continue
            if dynamic:
                matches = dynamic[:1]
            else:
                emit(asdict(HistoryResult(
                    index, "error", "unknown_workflow_type",
                    f"unknown workflow type {info.workflow_type!r}: no @workflow.defn class "
                    "among the workflow code defines it")))
                continue
        qualified, cls = matches[0]
        classes[qualified] = cls
        try:
            history = WorkflowHistory.from_json(f"patchmod-{index}", data)
        except Exception as exc:
            emit(asdict(HistoryResult(index, "error", "bad_history", f"not a valid history: {exc}")))
            continue
        runnable.append((index, history, qualified))

    if not runnable:
        return
    # One replayer for the whole set of workflow classes the histories need.
    replayer = Replayer(workflows=list(classes.values()), runtime=_quiet_runtime())
    failures = await _replay_all(replayer, [h for _, h, _ in runnable])
    nondeterministic = []
    for (index, history, qualified), failure in zip(runnable, failures):
        if failure is None:
            emit(asdict(HistoryResult(index, "ok", workflow=qualified)))
        elif isinstance(failure, NondeterminismError):
            nondeterministic.append((index, list(history.events), sdk_message(failure), qualified))
        else:
            emit(asdict(HistoryResult(index, "error", "replay_error", sdk_message(failure), workflow=qualified)))
    if nondeterministic:
        located = await locate_nondeterminism(replayer, [(i, ev, msg) for i, ev, msg, _ in nondeterministic])
        for index, _events, message, qualified in nondeterministic:
            emit(asdict(HistoryResult(index, "nondeterminism", None, message, located.get(index), qualified)))


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: replay.py SPEC.json RESULTS.jsonl", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    with open(args[1], "w", encoding="utf-8") as out:

        def emit(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        asyncio.run(replay_spec(spec, emit))
    return 0


if __name__ == "__main__":
    # Run as a script, this file's folder (patchmod/cli) must not shadow the
    # user's modules: drop it from sys.path before anything is imported.
    import os

    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    sys.exit(main())
