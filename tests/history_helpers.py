"""Helpers for the tests of verify, histories pull and ready.

* `stage_source(n, type_name)`: the text of testdata/stages at stage n
  (1 initial, 2 patched, 3 deprecated, 4 complete), optionally with its
  workflow type renamed (`@workflow.defn(name=...)`), so that every test owns
  its executions on the shared dev server.
* `wait_parked(handle)`: until the run finished its activity and sits on
  `wait_condition` (the next workflow task completed).
* `run_cli(*args)`: the click command in-process, with stdout and stderr apart.
* `Stages(modules, tmp_path, type_name)`: stages 1-3 loaded under one
  workflow type, a worker per stage, and executions started and parked.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import temporal_harness as harness
from click.testing import CliRunner, Result
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
STAGES_DIR = ROOT / "testdata" / "stages"
HISTORIES_DIR = ROOT / "testdata" / "histories"
STAGE_MODULES = {
    1: "workflow_1_initial",
    2: "workflow_2_patched",
    3: "workflow_3_patch_deprecated",
    4: "workflow_4_patch_complete",
}
HISTORY_FILES = {
    1: "h1_initial.json",
    2: "h2_patched.json",
    3: "h3_patch_deprecated.json",
    4: "h4_patch_complete.json",
}
# TEMPORAL.md's replay matrix: code stage -> history stages it replays.
REPLAYS = {1: {1}, 2: {1, 2, 3}, 3: {2, 3, 4}, 4: {3, 4}}
PATCH_ID = "my-patch"
STEP_TIMEOUT = 15.0


def unique_type(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def stage_source(stage: int, type_name: str | None = None) -> str:
    text = (STAGES_DIR / f"{STAGE_MODULES[stage]}.py").read_text()
    if type_name is not None:
        assert text.count("@workflow.defn\n") == 1
        text = text.replace("@workflow.defn\n", f'@workflow.defn(name="{type_name}")\n')
    return text


def load_history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def wait_parked(handle: WorkflowHandle) -> WorkflowHistory:
    """Until the activity completed and a workflow task completed after it:
    the run waits for `finish` with its activity (and any marker) recorded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while True:
        history = await handle.fetch_history()
        types = [e.event_type for e in history.events]
        if EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types and types[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return history
        if loop.time() > deadline:
            raise AssertionError(f"{handle.id}: not parked after {STEP_TIMEOUT}s: {[EventType.Name(t) for t in types]}")
        await asyncio.sleep(0.05)


async def finish(handle: WorkflowHandle, signal) -> str:
    await handle.signal(signal)
    return await asyncio.wait_for(handle.result(), STEP_TIMEOUT)


def run_cli(*args: str) -> Result:
    from patchmod.cli.main import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


async def run_cli_async(*args: str) -> Result:
    """`run_cli` in a thread: the command runs its own event loop while the
    test's workers keep running in this one."""
    return await asyncio.to_thread(run_cli, *args)


def first_event_id(history_file: Path, event_type: str) -> int:
    """The id of the first event of `event_type` ("EVENT_TYPE_...") in a JSON history."""
    import json

    for event in json.loads(history_file.read_text())["events"]:
        if event["eventType"] == event_type:
            return int(event["eventId"])
    raise AssertionError(f"{history_file.name}: no {event_type}")


class Stages:
    """The four stage modules with one workflow type, a worker per stage."""

    def __init__(self, modules: harness.ModuleLoader, tmp_path: Path, type_name: str):
        self.type_name = type_name
        self.modules = {}
        for n in (1, 2, 3):
            path = tmp_path / f"stage{n}.py"
            path.write_text(stage_source(n, type_name))
            self.modules[n] = modules.load(path, f"ready_stage{n}")
        self.queue = f"ready-{type_name}"

    def worker(self, client, stage: int) -> Worker:
        m = self.modules[stage]
        # No cache: a parked run's next task goes to whichever worker polls.
        return Worker(client, task_queue=self.queue, workflows=[m.MyWorkflow],
                      activities=[m.pre_patch_activity, m.post_patch_activity], max_cached_workflows=0)

    async def start_parked(self, client, stage: int, workflow_id: str):
        m = self.modules[stage]
        handle = await client.start_workflow(m.MyWorkflow.run, id=workflow_id, task_queue=self.queue)
        await wait_parked(handle)
        return handle
