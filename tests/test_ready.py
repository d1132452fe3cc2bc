"""`patchmod ready` on the real dev server, with executions of the stages of
Temporal's patching sample (testdata/stages). Each test renames the workflow
type (`@workflow.defn(name=...)`) so that it alone owns its executions on
the shared server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import temporal_harness as harness
from gitrepo import commit_all, make_repo, write
from history_helpers import (
    HISTORIES_DIR,
    HISTORY_FILES,
    PATCH_ID,
    Stages,
    finish,
    load_history,
    run_cli,
    run_cli_async,
    stage_source,
    unique_type,
)
from patchmod.cli.readiness import patch_markers


def test_markers_are_read_from_recorded_histories() -> None:
    """The marker layout the SDK really writes (details key `patch-data`)."""
    found = {h: patch_markers(load_history(HISTORIES_DIR / name).events) for h, name in HISTORY_FILES.items()}
    assert found == {
        1: [],
        2: [{"id": PATCH_ID, "deprecated": False}],
        3: [{"id": PATCH_ID, "deprecated": True}],
        4: [],
    }


async def ready_json(repo: Path, server: harness.DevServer, *args: str) -> tuple[int, dict]:
    result = await run_cli_async("-C", str(repo), "ready", PATCH_ID, "--address", server.address, "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def counts(report: dict) -> dict:
    (patch,) = report["patches"]
    (t,) = patch["workflow_types"]
    return {k: t[k] for k in ("counted", "without_marker", "with_marker", "with_deprecated_marker")}


def blocking(report: dict, stage: str) -> list[str]:
    return [e["workflow_id"] for e in report["patches"][0]["workflow_types"][0][f"blocking_{stage}"]]


@pytest.mark.e2e
def test_deprecate_waits_for_pre_patch_executions(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_deprecate_scenario(temporal_server, workflow_modules, tmp_path))


async def _deprecate_scenario(server, modules, tmp_path: Path) -> None:
    type_name = unique_type("ReadyDeprecate")
    stages = Stages(modules, tmp_path, type_name)
    repo = make_repo(tmp_path / "repo", {"app/flows.py": stage_source(2, type_name)})
    client = await server.client()

    async with stages.worker(client, 1):
        old = await stages.start_parked(client, 1, f"{type_name}-old")

    # The code is at stage 2: `next` asks about deprecate. A pre-patch run is open.
    code, report = await ready_json(repo, server)
    assert code == 1
    assert report["patches"][0]["stages"] == ["deprecate"]
    assert report["patches"][0]["code_stage"] == "active"
    assert report["patches"][0]["workflow_types"][0]["workflow_type"] == type_name
    assert counts(report) == {"counted": 1, "without_marker": 1, "with_marker": 0, "with_deprecated_marker": 0}
    assert blocking(report, "deprecate") == [old.id]
    assert report["safe"] is False and report["include_closed"] is False

    text = await run_cli_async("-C", str(repo), "ready", PATCH_ID, "--address", server.address)
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0] == f"deprecate {PATCH_ID}: NOT SAFE"
    assert lines[1] == f"  {type_name}: 1 running execution: 1 without the marker, 0 with it, 0 with it deprecated"
    assert lines[2] == (f"    deprecate blocked by 1 execution that lacks the marker (started before the patch, "
                        f"or has not reached it): {old.id}")
    assert "retention" in lines[-1] and "--include-closed" in lines[-1] and "replayed" in lines[-1]

    async with stages.worker(client, 2):
        new = await stages.start_parked(client, 2, f"{type_name}-new")
        # The new run carries the marker; the old one still blocks deprecate.
        code, report = await ready_json(repo, server)
        assert code == 1
        assert counts(report) == {"counted": 2, "without_marker": 1, "with_marker": 1, "with_deprecated_marker": 0}
        code, report = await ready_json(repo, server, "--stage", "remove")
        assert code == 1 and report["patches"][0]["stages"] == ["remove"]
        assert blocking(report, "remove") == [new.id]

        # The pre-patch run finishes (on the patched code, along the old path).
        assert await finish(old, stages.modules[2].MyWorkflow.finish) == "pre-patch"

    code, report = await ready_json(repo, server)
    assert code == 0, report
    assert counts(report) == {"counted": 1, "without_marker": 0, "with_marker": 1, "with_deprecated_marker": 0}
    assert report["patches"][0]["deprecate_safe"] is True

    # Closed, but still inside retention: it can be replayed, so it counts then.
    code, report = await ready_json(repo, server, "--include-closed")
    assert code == 1
    assert counts(report)["without_marker"] == 1 and blocking(report, "deprecate") == [old.id]
    assert report["patches"][0]["workflow_types"][0]["blocking_deprecate"][0]["status"] == "Completed"

    # Both stages at once: deprecate safe, remove not (the new run's marker).
    code, report = await ready_json(repo, server, "--stage", "both")
    assert code == 1
    assert (report["patches"][0]["deprecate_safe"], report["patches"][0]["remove_safe"]) == (True, False)
    await new.terminate()


@pytest.mark.e2e
def test_remove_waits_for_non_deprecated_markers(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_remove_scenario(temporal_server, workflow_modules, tmp_path))


async def _remove_scenario(server, modules, tmp_path: Path) -> None:
    type_name = unique_type("ReadyRemove")
    stages = Stages(modules, tmp_path, type_name)
    repo = make_repo(tmp_path / "repo", {"flows.py": stage_source(3, type_name)})
    client = await server.client()

    async with stages.worker(client, 2):
        patched = await stages.start_parked(client, 2, f"{type_name}-patched")

    # Stage 3 code: `next` asks about remove. An open run carries a live marker.
    code, report = await ready_json(repo, server)
    assert code == 1
    assert report["patches"][0]["stages"] == ["remove"] and report["patches"][0]["code_stage"] == "deprecated"
    assert blocking(report, "remove") == [patched.id]

    async with stages.worker(client, 3):
        deprecated = await stages.start_parked(client, 3, f"{type_name}-deprecated")
        code, report = await ready_json(repo, server)
        assert code == 1
        assert counts(report) == {"counted": 2, "without_marker": 0, "with_marker": 1, "with_deprecated_marker": 1}
        assert await finish(patched, stages.modules[3].MyWorkflow.finish) == "post-patch"

    code, report = await ready_json(repo, server)
    assert code == 0, report
    assert counts(report) == {"counted": 1, "without_marker": 0, "with_marker": 0, "with_deprecated_marker": 1}
    code, report = await ready_json(repo, server, "--include-closed")
    assert code == 1 and blocking(report, "remove") == [patched.id]

    # Once the code holds no call for the id, `next` cannot tell the stage.
    write(repo, "flows.py", stage_source(4, type_name))
    commit_all(repo, "remove")
    result = await run_cli_async("-C", str(repo), "ready", PATCH_ID, "--address", server.address)
    assert result.exit_code == 2
    assert f"{PATCH_ID}: no patched('{PATCH_ID}') or deprecate_patch('{PATCH_ID}') call" in result.stderr
    # ... but the types can be named.
    code, report = await ready_json(repo, server, "--workflow-type", type_name, "--stage", "remove")
    assert code == 0
    await deprecated.terminate()


def test_unreachable_server_and_unknown_id_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"flows.py": stage_source(2)})
    down = run_cli("-C", str(repo), "ready", PATCH_ID, "--address", "127.0.0.1:1")
    assert down.exit_code == 2
    assert down.stderr.strip() == "cannot reach Temporal at 127.0.0.1:1: connection refused"
    unknown = run_cli("-C", str(repo), "ready", "no-such-patch-v1", "--address", "127.0.0.1:1")
    assert unknown.exit_code == 2 and "no-such-patch-v1: no patched(" in unknown.stderr
    for result in (down, unknown):
        assert "Traceback" not in result.output
    as_json = run_cli("-C", str(repo), "ready", PATCH_ID, "--address", "127.0.0.1:1", "--json")
    assert json.loads(as_json.stdout)["errors"][0]["message"].startswith("cannot reach Temporal")
