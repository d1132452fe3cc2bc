"""End to end on a real Temporal dev server: `patchmod introduce` keeps replay working.

1. A git repository holds the base workflow (testdata/e2e/base/orders.py):
   charge the payment, wait for the `approve` signal, ship.
2. A worker runs the base code. One execution gets past the payment and blocks
   on the signal; another completes. Their histories are fetched.
3. The edit (testdata/e2e/edited/orders.py: a fraud check after the payment)
   goes into the working tree and the real CLI runs
   `patchmod -C REPO introduce add-fraud-check-v1`, which rewrites and commits.
4. Replaying the base histories against the rewritten module succeeds; against
   the raw edit (no patch) it raises NondeterminismError: why patching exists.
5. A worker runs the rewritten module: the blocked base execution is signalled
   and finishes on the new code along the old path, without non-determinism;
   a fresh execution takes the new path (the fraud check ran, and its history
   holds the `core_patch` marker for the id).

Each code version is imported under its own module name (TEMPORAL.md: the
sandbox re-imports workflow modules by name; stale bytecode).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import temporal_harness as harness
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.worker import Worker
from temporalio.workflow import NondeterminismError

pytestmark = pytest.mark.e2e

PATCH_ID = "add-fraud-check-v1"
TESTDATA = Path(__file__).resolve().parent.parent / "testdata" / "e2e"
WORKFLOW_FILE = "orders.py"
STEP_TIMEOUT = 15.0  # seconds for any one wait on the server


# --- git and the CLI --------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, f"git {' '.join(args)} failed:\n{out.stderr}"
    return out.stdout


def make_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "E2E Test")
    git(path, "config", "user.email", "e2e@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    shutil.copyfile(TESTDATA / "base" / WORKFLOW_FILE, path / WORKFLOW_FILE)
    git(path, "add", WORKFLOW_FILE)
    git(path, "commit", "-q", "-m", "Order workflow")
    return path


def run_introduce(repo: Path, patch_id: str) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    patchmod = harness.venv_bin("patchmod")
    if not patchmod.exists():
        pytest.fail(
            f"the patchmod console script is not at {patchmod}: run `make test` "
            "(it installs the package into .venv)",
            pytrace=False,
        )
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    return subprocess.run(
        [str(patchmod), "-C", str(repo), "introduce", patch_id],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=60,
    )


# --- history helpers --------------------------------------------------------


def activity_types(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def patch_markers(history: WorkflowHistory) -> list[dict]:
    """The `patch-data` of every `core_patch` marker, decoded."""
    found = []
    for e in history.events:
        if e.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attrs = e.marker_recorded_event_attributes
        if attrs.marker_name != "core_patch":
            continue
        found.append(json.loads(attrs.details["patch-data"].payloads[0].data))
    return found


def failed_workflow_tasks(history: WorkflowHistory) -> list[str]:
    return [
        e.workflow_task_failed_event_attributes.failure.message
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


async def wait_for_history(
    handle: WorkflowHandle, done: Callable[[list[HistoryEvent]], bool], what: str
) -> WorkflowHistory:
    """Poll the history until `done(events)`; fail after STEP_TIMEOUT."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while True:
        history = await handle.fetch_history()
        if done(list(history.events)):
            return history
        if loop.time() > deadline:
            types = [EventType.Name(e.event_type) for e in history.events]
            pytest.fail(f"{handle.id}: timed out waiting for {what}; history: {types}")
        await asyncio.sleep(0.05)


def blocked_after(activity_names: list[str]) -> Callable[[list[HistoryEvent]], bool]:
    """True once those activities completed and a workflow task then completed:
    the run is parked on `wait_condition` with all of that in its history."""

    def done(events: list[HistoryEvent]) -> bool:
        scheduled = {
            e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        completed = [
            scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        ]
        return (
            completed == activity_names
            and events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )

    return done


async def result_of(handle: WorkflowHandle) -> list[str]:
    try:
        return await asyncio.wait_for(handle.result(), STEP_TIMEOUT)
    except asyncio.TimeoutError:
        history = await handle.fetch_history()
        pytest.fail(
            f"{handle.id} did not finish in {STEP_TIMEOUT}s; "
            f"failed workflow tasks: {failed_workflow_tasks(history)}"
        )


# --- the test ---------------------------------------------------------------


def test_introduce_keeps_base_histories_replaying_on_a_real_server(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_scenario(temporal_server, workflow_modules, tmp_path))


async def _scenario(
    server: harness.DevServer, modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    client: Client = await server.client()
    run = uuid.uuid4().hex[:8]
    repo = make_repo(tmp_path / "repo")
    base = modules.load(repo / WORKFLOW_FILE, "orders_base")

    # -- 1. the base code records histories past the point of the change ----
    base_queue = f"e2e-orders-{run}"
    async with Worker(
        client,
        task_queue=base_queue,
        workflows=[base.OrderWorkflow],
        activities=[base.charge_payment, base.ship_order],
        # No cache, hence no sticky queue: once this worker stops, the next
        # workflow task of a blocked run goes straight to the normal queue.
        max_cached_workflows=0,
    ):
        waiting = await client.start_workflow(
            base.OrderWorkflow.run, "o-waiting", id=f"order-waiting-{run}", task_queue=base_queue
        )
        done = await client.start_workflow(
            base.OrderWorkflow.run, "o-done", id=f"order-done-{run}", task_queue=base_queue
        )
        await wait_for_history(done, blocked_after(["charge_payment"]), "the payment")
        await done.signal(base.OrderWorkflow.approve)
        assert await result_of(done) == ["charged o-done", "shipped o-done"]
        waiting_history = await wait_for_history(
            waiting, blocked_after(["charge_payment"]), "the payment"
        )
    done_history = await done.fetch_history()
    assert activity_types(done_history) == ["charge_payment", "ship_order"]
    assert patch_markers(done_history) == []

    # The harness itself: base histories replay against the base code.
    for history in (waiting_history, done_history):
        await harness.replay(history, [base.OrderWorkflow], raise_on_failure=True)

    # -- 2. the edit, and the real CLI on the real repository ---------------
    shutil.copyfile(TESTDATA / "edited" / WORKFLOW_FILE, repo / WORKFLOW_FILE)
    head_before = git(repo, "rev-parse", "HEAD").strip()
    cli = await asyncio.to_thread(run_introduce, repo, PATCH_ID)
    assert cli.returncode == 0, (
        f"patchmod introduce exited {cli.returncode}\nstdout:\n{cli.stdout}\nstderr:\n{cli.stderr}"
    )
    rewritten = (repo / WORKFLOW_FILE).read_text()
    assert f'workflow.patched("{PATCH_ID}")' in rewritten, rewritten
    assert git(repo, "rev-parse", "HEAD~1").strip() == head_before, "expected one new commit"
    assert git(repo, "log", "-1", "--format=%s").strip() == f"patchmod: introduce {PATCH_ID}"
    trailers = git(repo, "log", "-1", "--format=%(trailers:only,unfold)").split("\n")
    assert f"Patch-Id: {PATCH_ID}" in trailers and "Patch-Stage: introduced" in trailers
    assert git(repo, "show", f"HEAD:{WORKFLOW_FILE}") == rewritten, "the rewrite is committed"
    assert git(repo, "status", "--porcelain") == "", "nothing left uncommitted"

    patched = modules.load(repo / WORKFLOW_FILE, "orders_patched")
    edited = modules.load(TESTDATA / "edited" / WORKFLOW_FILE, "orders_edited")

    # -- 3. replay: the rewrite keeps the base histories; the raw edit breaks
    for history in (waiting_history, done_history):
        result = await harness.replay(history, [patched.OrderWorkflow])
        assert result.replay_failure is None, (
            f"{history.workflow_id} failed to replay against the rewritten code:\n"
            f"{result.replay_failure!r}\n--- rewritten {WORKFLOW_FILE} ---\n{rewritten}"
        )
    contrast = await harness.replay(done_history, [edited.OrderWorkflow])
    assert isinstance(contrast.replay_failure, NondeterminismError), (
        f"the unpatched edit should not replay the base history: {contrast.replay_failure!r}"
    )

    # -- 4. the rewritten code on a worker: old run finishes, new run is new -
    fresh_queue = f"e2e-orders-fresh-{run}"
    patched_activities = [patched.charge_payment, patched.check_fraud, patched.ship_order]
    async with Worker(
        client,
        # The blocked run's next task is on its own queue: the base worker is gone.
        task_queue=base_queue,
        workflows=[patched.OrderWorkflow],
        activities=patched_activities,
    ), Worker(
        client,
        task_queue=fresh_queue,
        workflows=[patched.OrderWorkflow],
        activities=patched_activities,
    ):
        fresh = await client.start_workflow(
            patched.OrderWorkflow.run, "o-fresh", id=f"order-fresh-{run}", task_queue=fresh_queue
        )
        await waiting.signal(patched.OrderWorkflow.approve)
        assert await result_of(waiting) == ["charged o-waiting", "shipped o-waiting"]

        await wait_for_history(
            fresh, blocked_after(["charge_payment", "check_fraud"]), "payment and fraud check"
        )
        await fresh.signal(patched.OrderWorkflow.approve)
        assert await result_of(fresh) == [
            "charged o-fresh",
            "fraud-checked o-fresh",
            "shipped o-fresh",
        ]

    waiting_final = await waiting.fetch_history()
    assert failed_workflow_tasks(waiting_final) == [], "non-determinism on the new code"
    assert activity_types(waiting_final) == ["charge_payment", "ship_order"]
    assert patch_markers(waiting_final) == [], "a pre-patch run must not take the patch"

    fresh_history = await fresh.fetch_history()
    assert failed_workflow_tasks(fresh_history) == []
    assert activity_types(fresh_history) == ["charge_payment", "check_fraud", "ship_order"]
    assert patch_markers(fresh_history) == [{"id": PATCH_ID, "deprecated": False}]
