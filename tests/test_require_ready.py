"""`deprecate --require-ready` and `remove --require-ready` on the real dev
server: an open execution that the stage would break blocks the command
(exit 1, the server's answer on stderr, nothing written); once it closes the
command goes through and its pull request quotes the answer. An unreachable
server is exit 2, nothing written."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import temporal_harness as harness
from gitrepo import commit_all, make_repo, snapshot, trailers, write
from history_helpers import (
    PATCH_ID,
    Stages,
    finish,
    run_cli,
    run_cli_async,
    stage_source,
    unique_type,
)

FLOWS = "app/flows.py"


async def retire_json(repo: Path, server: harness.DevServer, command: str, *args: str) -> tuple[int, dict, str]:
    result = await run_cli_async("-C", str(repo), command, PATCH_ID, "--require-ready",
                                 "--address", server.address, *args)
    assert "Traceback" not in result.output
    return result.exit_code, (json.loads(result.stdout) if "--json" in args else {}), result.stderr


@pytest.mark.e2e
def test_deprecate_waits_for_the_pre_patch_execution(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_deprecate(temporal_server, workflow_modules, tmp_path))


async def _deprecate(server: harness.DevServer, modules: harness.ModuleLoader, tmp_path: Path) -> None:
    type_name = unique_type("RequireDeprecate")
    stages = Stages(modules, tmp_path, type_name)
    repo = make_repo(tmp_path / "repo", {FLOWS: stage_source(2, type_name)})
    client = await server.client()
    async with stages.worker(client, 1):
        old = await stages.start_parked(client, 1, f"{type_name}-old")

    # A run that started before the patch is open: not safe, nothing written.
    before = snapshot(repo)
    code, obj, stderr = await retire_json(repo, server, "deprecate", "--branch", "patchmod/deprecate", "--json")
    assert code == 1, stderr
    assert snapshot(repo) == before  # no file, no commit, no branch
    assert obj["commit"] is None and obj["readiness"]["safe"] is False
    (patch,) = obj["readiness"]["patches"]
    assert patch["stages"] == ["deprecate"]
    assert [e["workflow_id"] for e in patch["workflow_types"][0]["blocking_deprecate"]] == [old.id]
    assert stderr.splitlines()[0] == "deprecate refused: the server says it is not safe yet; nothing written"
    assert f"deprecate {PATCH_ID}: NOT SAFE" in stderr and old.id in stderr and "retention" in stderr

    code, _, stderr = await retire_json(repo, server, "deprecate")  # the text form
    assert code == 1 and "    deprecate blocked by 1 execution that lacks the marker" in stderr
    assert snapshot(repo) == before

    # It finishes (on the patched code, along the old path): safe now.
    async with stages.worker(client, 2):
        assert await finish(old, stages.modules[2].MyWorkflow.finish) == "pre-patch"
    code, obj, stderr = await retire_json(repo, server, "deprecate", "--branch", "patchmod/deprecate", "--json")
    assert code == 0, stderr
    assert obj["commit"] and obj["branch"] == "patchmod/deprecate"
    assert ("Patch-Stage", "deprecated") in trailers(repo)
    assert f'workflow.deprecate_patch("{PATCH_ID}")' in (repo / FLOWS).read_text()
    assert obj["readiness"]["safe"] is True and obj["readiness"]["namespace"] == "default"
    body = obj["pull_request"]["body"]
    assert "--require-ready` asked the server before writing" in body
    assert f"deprecate {PATCH_ID}: safe" in body
    assert f"--stage deprecate --include-closed --address {server.address} --namespace default" in body

    # With --include-closed the closed pre-patch run still counts (it is retained).
    write(repo, FLOWS, stage_source(2, type_name))
    commit_all(repo, "back to the patched code")
    before = snapshot(repo)
    code, obj, _ = await retire_json(repo, server, "deprecate", "--include-closed", "--json")
    assert code == 1 and snapshot(repo) == before
    blocking = obj["readiness"]["patches"][0]["workflow_types"][0]["blocking_deprecate"]
    assert [(e["workflow_id"], e["status"]) for e in blocking] == [(old.id, "Completed")]


@pytest.mark.e2e
def test_remove_waits_for_the_live_marker(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_remove(temporal_server, workflow_modules, tmp_path))


async def _remove(server: harness.DevServer, modules: harness.ModuleLoader, tmp_path: Path) -> None:
    type_name = unique_type("RequireRemove")
    stages = Stages(modules, tmp_path, type_name)
    repo = make_repo(tmp_path / "repo", {FLOWS: stage_source(3, type_name)})
    client = await server.client()
    async with stages.worker(client, 2):
        patched = await stages.start_parked(client, 2, f"{type_name}-patched")

    before = snapshot(repo)
    code, obj, stderr = await retire_json(repo, server, "remove", "--json")
    assert code == 1, stderr
    assert snapshot(repo) == before
    assert obj["readiness"]["patches"][0]["stages"] == ["remove"]
    assert f"remove {PATCH_ID}: NOT SAFE" in stderr and "carries a non-deprecated marker" in stderr

    async with stages.worker(client, 3):
        assert await finish(patched, stages.modules[3].MyWorkflow.finish) == "post-patch"
    code, obj, stderr = await retire_json(repo, server, "remove", "--json")
    assert code == 0, stderr
    assert ("Patch-Stage", "removed") in trailers(repo)
    assert f'deprecate_patch("{PATCH_ID}")' not in (repo / FLOWS).read_text()
    assert f"--stage remove --include-closed --address {server.address}" in obj["pull_request"]["body"]


def test_unreachable_server_is_exit_2_with_nothing_written(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {FLOWS: stage_source(2)})
    before = snapshot(repo)
    for args in (["deprecate", PATCH_ID], ["deprecate", PATCH_ID, "--branch", "x"]):
        result = run_cli("-C", str(repo), *args, "--require-ready", "--address", "127.0.0.1:1")
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == "cannot reach Temporal at 127.0.0.1:1: connection refused"
        assert "Traceback" not in result.output
    assert snapshot(repo) == before
    # Nothing to do needs no server at all.
    idle = run_cli("-C", str(repo), "remove", "other-patch-v1", "--require-ready", "--address", "127.0.0.1:1")
    assert idle.exit_code == 0 and idle.stdout.startswith("nothing to do")
