"""The whole life of a patch on a real Temporal dev server, driven by the CLI.

1. Base code (testdata/e2e/base/orders.py: charge, wait for `approve`, ship)
   runs two executions: one finishes, one waits on the signal.
2. The fraud-check edit (testdata/e2e/edited) goes in and `patchmod
   introduce` wraps it. `ready` says deprecate is not safe: the waiting
   pre-patch run is open. A worker runs the introduced code: the waiting run
   finishes along the old path without non-determinism, a fresh run takes
   the patch. Now `ready` says deprecate is safe.
3. `patchmod deprecate`; a worker runs it. `ready` (next stage: remove)
   says not safe while the fresh run, which carries a non-deprecated marker,
   is open; once it finishes, safe.
4. `patchmod remove`; a worker runs it; the last runs finish.
5. `histories pull` downloads every (closed) history; `verify` of the code
   of each stage (each commit) gives the results TEMPORAL.md predicts.

The workflow type is renamed for this test (`@workflow.defn(name=...)`) so
that it alone owns its executions on the shared server.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import temporal_harness as harness
from gitrepo import file_at, git, make_repo, write
from history_helpers import ROOT, STEP_TIMEOUT, run_cli_async, unique_type, wait_parked
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

pytestmark = pytest.mark.e2e

PATCH_ID = "add-fraud-check-v1"
E2E = ROOT / "testdata" / "e2e"
FILE = "orders.py"


def renamed(path: Path, type_name: str) -> str:
    text = path.read_text()
    assert text.count("@workflow.defn\nclass OrderWorkflow") == 1
    return text.replace("@workflow.defn\nclass OrderWorkflow", f'@workflow.defn(name="{type_name}")\nclass OrderWorkflow')


def failed_workflow_tasks(events) -> list[str]:
    return [e.workflow_task_failed_event_attributes.failure.message for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


async def approve_and_finish(handle: WorkflowHandle, module) -> list[str]:
    await handle.signal(module.OrderWorkflow.approve)
    result = await asyncio.wait_for(handle.result(), STEP_TIMEOUT)
    history = await handle.fetch_history()
    assert failed_workflow_tasks(history.events) == [], f"{handle.id}: non-determinism on the new code"
    return result


async def cli(repo: Path, *args: str, expect: int | None = 0):
    result = await run_cli_async("-C", str(repo), *args)
    if expect is not None:
        assert result.exit_code == expect, f"patchmod {' '.join(args)} -> {result.exit_code}\n{result.output}"
    return result


async def ready(repo: Path, server: harness.DevServer, *args: str) -> tuple[int, dict]:
    result = await cli(repo, "ready", PATCH_ID, "--address", server.address, "--json", *args, expect=None)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return result.exit_code, report["patches"][0]


def blocking(patch: dict, stage: str) -> list[str]:
    (t,) = patch["workflow_types"]
    return [e["workflow_id"] for e in t[f"blocking_{stage}"]]


def test_patch_lifecycle_on_a_real_server(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_lifecycle(temporal_server, workflow_modules, tmp_path))


async def _lifecycle(server: harness.DevServer, modules: harness.ModuleLoader, tmp_path: Path) -> None:
    type_name = unique_type("LifecycleOrders")
    repo = make_repo(tmp_path / "repo", {FILE: renamed(E2E / "base" / FILE, type_name)})
    client: Client = await server.client()
    queue = f"lifecycle-{type_name}"
    commits = {"base": git(repo, "rev-parse", "HEAD").strip()}

    def worker(module) -> Worker:
        activities = [getattr(module, n) for n in ("charge_payment", "check_fraud", "ship_order") if hasattr(module, n)]
        # No cache: a parked run's next task goes to whichever worker polls next.
        return Worker(client, task_queue=queue, workflows=[module.OrderWorkflow],
                      activities=activities, max_cached_workflows=0)

    async def start(module, name: str) -> WorkflowHandle:
        handle = await client.start_workflow(module.OrderWorkflow.run, name, id=f"{type_name}-{name}",
                                             task_queue=queue)
        await wait_parked(handle)
        return handle

    # -- 1. base code: one run finishes, one waits --------------------------
    base = modules.load(repo / FILE, "lc_base")
    async with worker(base):
        done = await start(base, "done")
        waiting = await start(base, "waiting")
        assert await approve_and_finish(done, base) == ["charged done", "shipped done"]

    # -- 2. introduce ------------------------------------------------------
    write(repo, FILE, renamed(E2E / "edited" / FILE, type_name))
    await cli(repo, "introduce", PATCH_ID)
    commits["introduced"] = git(repo, "rev-parse", "HEAD").strip()
    patched = modules.load(repo / FILE, "lc_patched")
    assert f'workflow.patched("{PATCH_ID}")' in (repo / FILE).read_text()

    code, patch = await ready(repo, server)
    assert code == 1 and patch["stages"] == ["deprecate"], patch
    assert blocking(patch, "deprecate") == [waiting.id]

    async with worker(patched):
        assert await approve_and_finish(waiting, patched) == ["charged waiting", "shipped waiting"]
        fresh = await start(patched, "fresh")
        code, patch = await ready(repo, server)
        assert code == 0, patch  # the only open run carries the marker
        code, patch = await ready(repo, server, "--include-closed")
        assert code == 1 and sorted(blocking(patch, "deprecate")) == sorted([done.id, waiting.id])

    # -- 3. deprecate ------------------------------------------------------
    await cli(repo, "deprecate", PATCH_ID)
    commits["deprecated"] = git(repo, "rev-parse", "HEAD").strip()
    deprecated = modules.load(repo / FILE, "lc_deprecated")
    assert f'workflow.deprecate_patch("{PATCH_ID}")' in (repo / FILE).read_text()

    code, patch = await ready(repo, server)
    assert code == 1 and patch["stages"] == ["remove"], patch
    assert blocking(patch, "remove") == [fresh.id]
    async with worker(deprecated):
        dep = await start(deprecated, "dep")
        assert await approve_and_finish(fresh, deprecated) == [
            "charged fresh", "fraud-checked fresh", "shipped fresh"]
        code, patch = await ready(repo, server)
        assert code == 0, patch
        (t,) = patch["workflow_types"]
        assert (t["counted"], t["with_deprecated_marker"]) == (1, 1)

    # -- 4. remove ---------------------------------------------------------
    await cli(repo, "remove", PATCH_ID)
    commits["removed"] = git(repo, "rev-parse", "HEAD").strip()
    removed = modules.load(repo / FILE, "lc_removed")
    assert PATCH_ID not in "".join(line for line in (repo / FILE).read_text().splitlines()
                                   if "Versioning History" not in line and not line.strip().startswith("-"))
    async with worker(removed):
        assert await approve_and_finish(dep, removed) == ["charged dep", "fraud-checked dep", "shipped dep"]
        final = await start(removed, "final")
        assert await approve_and_finish(final, removed) == ["charged final", "fraud-checked final", "shipped final"]

    # -- 5. pull every history; verify each stage's code ---------------------
    out = tmp_path / "histories"
    query = f"WorkflowType = '{type_name}'"
    for _ in range(100):  # visibility catches up a moment after the last close
        if (await client.count_workflows(f"{query} AND ExecutionStatus = 'Completed'")).count == 5:
            break
        await asyncio.sleep(0.05)
    pulled = await cli(tmp_path, "histories", "pull", "--address", server.address, "--query", query,
                       "--out", str(out), "--json")
    assert json.loads(pulled.stdout)["count"] == 5 and json.loads(pulled.stdout)["open"] == 0

    h1 = {done.id, waiting.id}  # no marker, no fraud check
    h2 = {fresh.id}  # non-deprecated marker
    h3 = {dep.id}  # deprecated marker
    h4 = {final.id}  # no marker, fraud check
    replays = {  # TEMPORAL.md's matrix
        "base": h1,
        "introduced": h1 | h2 | h3,
        "deprecated": h2 | h3 | h4,
        "removed": h3 | h4,
    }
    everything = h1 | h2 | h3 | h4
    for stage, rev in commits.items():
        folder = tmp_path / "stages" / stage
        folder.mkdir(parents=True)
        (folder / FILE).write_bytes(file_at(repo, rev, FILE))
        result = await cli(folder, "verify", "--histories", str(out), "--workflow", "orders:OrderWorkflow",
                           "--json", expect=None)
        report = json.loads(result.stdout)
        statuses = {r["workflow_id"]: r["status"] for r in report["results"]}
        expected = {wid: "ok" if wid in replays[stage] else "nondeterminism" for wid in everything}
        assert statuses == expected, (stage, report)
        assert result.exit_code == 1  # every stage has histories it cannot replay

    # Without --workflow, the repository's own class (at HEAD: removed).
    result = await cli(repo, "verify", "--histories", str(out), "--json", expect=1)
    statuses = {r["workflow_id"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert {w for w, s in statuses.items() if s == "ok"} == replays["removed"]
