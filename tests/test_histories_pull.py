"""`patchmod histories pull` on the real dev server: the files it writes are
what `verify` replays."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path

import pytest
import temporal_harness as harness
from history_helpers import finish, run_cli, run_cli_async, stage_source, unique_type, wait_parked
from temporalio.worker import Worker

pytestmark = pytest.mark.e2e


def test_pull_writes_histories_that_verify_replays(
    temporal_server: harness.DevServer, workflow_modules: harness.ModuleLoader, tmp_path: Path
) -> None:
    asyncio.run(_pull_scenario(temporal_server, workflow_modules, tmp_path))


async def _pull_scenario(server: harness.DevServer, modules: harness.ModuleLoader, tmp_path: Path) -> None:
    type_name = unique_type("PullWorkflow")
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "pulled_flow.py").write_text(stage_source(2, type_name))
    module = modules.load(code_dir / "pulled_flow.py", "pulled_flow")
    client = await server.client()
    queue = f"pull-{type_name}"
    tag = uuid.uuid4().hex[:6]
    ids = {
        "done-1": f"pull-done-1-{tag}",
        "done-2": f"pull/done 2%{tag}",  # characters a file name cannot hold as they are
        "waiting": f"pull-waiting-{tag}",
    }
    async with Worker(client, task_queue=queue, workflows=[module.MyWorkflow],
                      activities=[module.pre_patch_activity, module.post_patch_activity]):
        handles = {k: await client.start_workflow(module.MyWorkflow.run, id=wid, task_queue=queue)
                   for k, wid in ids.items()}
        for handle in handles.values():
            await wait_parked(handle)
        for key in ("done-1", "done-2"):
            assert await finish(handles[key], module.MyWorkflow.finish) == "post-patch"
    # Started where no worker polls: no workflow task has run yet.
    never = await client.start_workflow(module.MyWorkflow.run, id=f"pull-never-{tag}",
                                        task_queue=f"no-worker-{type_name}")

    out = tmp_path / "pulled"
    query = f"WorkflowType = '{type_name}'"
    # Visibility catches up with the last start a moment later.
    for _ in range(100):
        if (await client.count_workflows(query)).count == 4:
            break
        await asyncio.sleep(0.05)
    result = await run_cli_async("histories", "pull", "--address", server.address, "--query", query,
                                 "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["count"] == 4 and report["open"] == 2
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f["file"] for f in report["files"])
    by_id = {f["workflow_id"]: f for f in report["files"]}
    assert by_id[ids["done-2"]]["file"] == f"pull%2Fdone%202%25{tag}_{by_id[ids['done-2']]['run_id']}.json"
    assert by_id[ids["done-1"]]["file"] == f"{ids['done-1']}_{by_id[ids['done-1']]['run_id']}.json"
    assert by_id[ids["done-1"]]["status"] == "Completed" and by_id[ids["waiting"]]["status"] == "Running"

    # The command version of the download script: verify accepts what it wrote.
    code = run_cli("-C", str(code_dir), "verify", "--histories", str(out),
                   "--workflow", "pulled_flow:MyWorkflow", "--json")
    verified = json.loads(code.stdout)
    statuses = {r["workflow_id"]: r["status"] for r in verified["results"]}
    assert statuses == {ids["done-1"]: "ok", ids["done-2"]: "ok", ids["waiting"]: "ok",
                        never.id: "skipped"}, verified
    assert code.exit_code == 0

    # ... and stage 4 code does not replay them (the marker is not deprecated).
    (code_dir / "complete_flow.py").write_text(stage_source(4, type_name))
    code = run_cli("-C", str(code_dir), "verify", "--histories", str(out),
                   "--workflow", "complete_flow:MyWorkflow", "--json")
    statuses = {r["workflow_id"]: r["status"] for r in json.loads(code.stdout)["results"]}
    assert statuses[ids["done-1"]] == "nondeterminism" and code.exit_code == 1

    # --limit, and plain text output.
    limited = await run_cli_async("histories", "pull", "--address", server.address, "--query", query,
                                  "--out", str(tmp_path / "two"), "--limit", "2")
    assert limited.exit_code == 0, limited.output
    assert len(list((tmp_path / "two").iterdir())) == 2
    assert limited.stdout.startswith(f"wrote 2 histories to {tmp_path / 'two'}")

    # The Temporal CLI's own export replays too.
    shown = subprocess.run(
        [str(harness.temporal_binary()), "workflow", "show", "-w", ids["done-1"], "--output", "json",
         "--address", server.address],
        capture_output=True, text=True, timeout=30,
    )
    assert shown.returncode == 0, shown.stderr
    cli_dir = tmp_path / "cli-export"
    cli_dir.mkdir()
    (cli_dir / "done-1.json").write_text(shown.stdout)
    code = run_cli("-C", str(code_dir), "verify", "--histories", str(cli_dir),
                   "--workflow", "pulled_flow:MyWorkflow")
    assert code.exit_code == 0, code.output
    await never.terminate()


def test_pull_refusals_exit_2_without_traceback(temporal_server: harness.DevServer, tmp_path: Path) -> None:
    bad_query = run_cli("histories", "pull", "--address", temporal_server.address,
                        "--query", "WorkflowType = = 'x'", "--out", str(tmp_path / "o"))
    assert bad_query.exit_code == 2
    assert "visibility query" in bad_query.stderr and "failed" in bad_query.stderr
    unreachable = run_cli("histories", "pull", "--address", "127.0.0.1:1", "--query", "",
                          "--out", str(tmp_path / "o"))
    assert unreachable.exit_code == 2
    assert unreachable.stderr.strip() == "cannot reach Temporal at 127.0.0.1:1: connection refused"
    for result in (bad_query, unreachable):
        assert "Traceback" not in result.output


def test_progress_bar_on_stderr_when_a_terminal(temporal_server: harness.DevServer, tmp_path: Path) -> None:
    """The console script under a pseudo-terminal: a click progress bar on
    stderr; stdout keeps the one-line summary."""
    import os
    import pty

    type_name = unique_type("PullProgress")

    async def start_two() -> None:
        client = await temporal_server.client()
        for n in range(2):  # no worker: they only need to exist; one stays running
            handle = await client.start_workflow(type_name, id=f"{type_name}-{n}", task_queue=f"none-{type_name}")
        await handle.terminate()
        for _ in range(100):
            if (await client.count_workflows(f"WorkflowType = '{type_name}'")).count == 2:
                break
            await asyncio.sleep(0.05)

    asyncio.run(start_two())
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(harness.venv_bin("patchmod")), "histories", "pull", "--address", temporal_server.address,
         "--query", f"WorkflowType = '{type_name}'", "--out", str(tmp_path / "out")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )
    out, _ = proc.communicate(timeout=60)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal's other end is closed
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert proc.returncode == 0
    assert out.decode().startswith(f"wrote 2 histories to {tmp_path / 'out'} (1 of them still running: ")
    assert "Pulling histories" in err.decode() and "100%" in err.decode()
