"""`patchmod verify` on histories recorded from real executions (testdata/histories,
made by scripts/record_histories.py) against the four stages of Temporal's
patching sample (testdata/stages): the replay matrix of TEMPORAL.md, exactly.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import make_repo
from history_helpers import (
    HISTORIES_DIR,
    HISTORY_FILES,
    REPLAYS,
    ROOT,
    STAGE_MODULES,
    STAGES_DIR,
    first_event_id,
    load_history,
    run_cli,
    stage_source,
)

ORDERS_BASE = (ROOT / "testdata" / "e2e" / "base" / "orders.py").read_text()


def verify_json(*args: str) -> tuple[int, dict]:
    result = run_cli(*args, "--json")
    return result.exit_code, json.loads(result.stdout)


def by_file(report: dict) -> dict[str, dict]:
    return {r["file"]: r for r in report["results"]}


def expected_event(history: int) -> int:
    """Where each non-determinism of the matrix is: the patch marker when the
    history has a non-deprecated one the code does not expect, else the
    activity whose type differs."""
    path = HISTORIES_DIR / HISTORY_FILES[history]
    if history == 2:
        return first_event_id(path, "EVENT_TYPE_MARKER_RECORDED")
    return first_event_id(path, "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED")


@pytest.mark.parametrize("stage", [1, 2, 3, 4])
def test_replay_matrix_of_every_stage(stage: int) -> None:
    module = STAGE_MODULES[stage]
    code, report = verify_json("-C", str(STAGES_DIR), "verify", "--histories", str(HISTORIES_DIR),
                               "--workflow", f"{module}:MyWorkflow")
    results = by_file(report)
    assert sorted(results) == sorted(HISTORY_FILES.values())
    for history, name in HISTORY_FILES.items():
        r = results[name]
        if history in REPLAYS[stage]:
            assert r["status"] == "ok", (stage, name, r)
            assert r["workflow"] == f"{module}:MyWorkflow"
        else:
            assert r["status"] == "nondeterminism", (stage, name, r)
            assert r["message"].startswith("[TMPRL1100] Nondeterminism error:"), r["message"]
            assert r["event_id"] == expected_event(history), (stage, name, r)
        assert r["workflow_type"] == "MyWorkflow"
        assert r["workflow_id"] == f"patching-h{history}-{name[3:-5].replace('_', '-')}"
    assert report["counts"] == {"ok": len(REPLAYS[stage]), "nondeterminism": 4 - len(REPLAYS[stage]),
                                "error": 0, "skipped": 0}
    assert code == 1  # every stage fails some history of the matrix


def test_the_messages_name_what_differs() -> None:
    code, report = verify_json("-C", str(STAGES_DIR), "verify", "--histories", str(HISTORIES_DIR),
                               "--workflow", "workflow_4_patch_complete:MyWorkflow")
    results = by_file(report)
    assert "Non-deprecated patch marker encountered for change my-patch" in results["h2_patched.json"]["message"]
    assert "'pre_patch_activity' does not match" in results["h1_initial.json"]["message"]


def test_text_output_and_exit_zero_when_all_replay(tmp_path: Path) -> None:
    histories = tmp_path / "histories"
    histories.mkdir()
    for h in (2, 3, 4):
        shutil.copy(HISTORIES_DIR / HISTORY_FILES[h], histories)
    result = run_cli("-C", str(STAGES_DIR), "verify", "--histories", str(histories),
                     "--workflow", "workflow_3_patch_deprecated:MyWorkflow")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "h2_patched.json: ok (workflow_3_patch_deprecated:MyWorkflow)",
        "h3_patch_deprecated.json: ok (workflow_3_patch_deprecated:MyWorkflow)",
        "h4_patch_complete.json: ok (workflow_3_patch_deprecated:MyWorkflow)",
        "3 histories: 3 ok, 0 non-determinism, 0 errors",
    ]
    nde = run_cli("-C", str(STAGES_DIR), "verify", "--histories", str(HISTORIES_DIR),
                  "--workflow", "workflow_2_patched:MyWorkflow")
    assert nde.exit_code == 1
    line = f"h4_patch_complete.json: non-determinism at event {expected_event(4)}: [TMPRL1100]"
    assert any(out.startswith(line) for out in nde.stdout.splitlines()), nde.stdout


def test_repository_classes_are_found_by_workflow_type(tmp_path: Path) -> None:
    """Without --workflow: the tracked @workflow.defn classes, imported from
    the repository (a src layout package here), matched by workflow type."""
    repo = make_repo(tmp_path / "repo", {
        "src/shop/__init__.py": "",
        "src/shop/workflows.py": stage_source(3),
        "src/shop/other.py": ORDERS_BASE,
    })
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert report["mode"] == "repository"
    results = by_file(report)
    assert {n: r["status"] for n, r in results.items()} == {
        "h1_initial.json": "nondeterminism",
        "h2_patched.json": "ok",
        "h3_patch_deprecated.json": "ok",
        "h4_patch_complete.json": "ok",
    }
    assert results["h2_patched.json"]["workflow"] == "shop.workflows:MyWorkflow"
    assert code == 1


def test_workflow_type_set_by_defn_name(tmp_path: Path) -> None:
    """`@workflow.defn(name="MyWorkflow")` on a class with another name."""
    source = stage_source(2).replace("class MyWorkflow:", "class PatchedOrders:").replace(
        "@workflow.defn\n", '@workflow.defn(name="MyWorkflow")\n')
    repo = make_repo(tmp_path / "repo", {"flows/orders.py": source})
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    statuses = {n: r["status"] for n, r in by_file(report).items()}
    assert statuses["h1_initial.json"] == statuses["h2_patched.json"] == statuses["h3_patch_deprecated.json"] == "ok"
    assert statuses["h4_patch_complete.json"] == "nondeterminism"
    assert by_file(report)["h1_initial.json"]["workflow"] == "orders:PatchedOrders"


def test_unknown_workflow_type_is_reported_as_such(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"orders.py": ORDERS_BASE})
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert code == 1
    for r in report["results"]:
        assert (r["status"], r["reason"]) == ("error", "unknown_workflow_type"), r
        assert "'MyWorkflow'" in r["message"]
    # The same with --workflow naming a class of another type.
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR),
                               "--workflow", "orders:OrderWorkflow")
    assert code == 1
    assert {(r["status"], r["reason"]) for r in report["results"]} == {("error", "unknown_workflow_type")}
    text = run_cli("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert "h1_initial.json: error: unknown workflow type: unknown workflow type 'MyWorkflow'" in text.stdout


def test_broken_module_import_is_reported_as_such(tmp_path: Path) -> None:
    broken = stage_source(2) + "\nimport a_module_that_does_not_exist  # noqa\n"
    repo = make_repo(tmp_path / "repo", {"workflows.py": broken, "orders.py": ORDERS_BASE})
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert code == 1
    for r in report["results"]:
        assert (r["status"], r["reason"]) == ("error", "import_error"), r
        assert "cannot import workflows.py: ModuleNotFoundError: No module named 'a_module_that_does_not_exist'" in r["message"]
    assert [i["label"] for i in report["imports"] if not i["ok"]] == ["workflows.py"]
    # With --workflow too.
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR),
                               "--workflow", "workflows:MyWorkflow")
    assert code == 1
    assert {(r["status"], r["reason"]) for r in report["results"]} == {("error", "import_error")}


def test_same_type_in_several_classes_is_ambiguous(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a/flow.py": stage_source(2), "b/flow.py": stage_source(3)})
    code, report = verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert code == 1
    for r in report["results"]:
        assert r["reason"] == "ambiguous_workflow_type"
        assert "a.flow:MyWorkflow" in r["message"] and "b.flow:MyWorkflow" in r["message"]


def test_a_file_that_is_not_a_history_is_an_error_of_its_own(tmp_path: Path) -> None:
    histories = tmp_path / "h"
    histories.mkdir()
    shutil.copy(HISTORIES_DIR / HISTORY_FILES[2], histories)
    (histories / "notes.json").write_text('{"hello": 1}')
    (histories / "broken.json").write_text("{not json")
    code, report = verify_json("-C", str(STAGES_DIR), "verify", "--histories", str(histories),
                               "--workflow", "workflow_2_patched:MyWorkflow")
    results = by_file(report)
    assert code == 1
    assert results["h2_patched.json"]["status"] == "ok"
    assert (results["notes.json"]["status"], results["notes.json"]["reason"]) == ("error", "bad_history")
    assert (results["broken.json"]["status"], results["broken.json"]["reason"]) == ("error", "bad_history")


@pytest.mark.parametrize("args, message", [
    (["--histories", "missing-folder"], "missing-folder: no such directory"),
    (["--histories", "empty"], "empty: no histories (*.json files) to replay"),
    (["--histories", "h", "--workflow", "no_colon"], "--workflow no_colon: expected MODULE:CLASS"),
])
def test_bad_usage_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "h").mkdir()
    shutil.copy(HISTORIES_DIR / HISTORY_FILES[1], tmp_path / "h")
    result = run_cli("-C", str(tmp_path), "verify", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_repository_without_workflow_classes_exits_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"util.py": "x = 1\n"})
    result = run_cli("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    assert result.exit_code == 2
    assert "no @workflow.defn class" in result.stderr


def test_stale_bytecode_never_stands_in_for_the_source(tmp_path: Path) -> None:
    """TEMPORAL.md: a module rewritten in place within the same second at the
    same size runs its old bytecode in a plain `import`. verify must replay
    the code on disk."""
    old = stage_source(1)
    new = old.replace("pre_patch_activity, schedule_to_close", "post_patch_activity, schedule_to_close")
    new = new.replace("\n\n\n@activity.defn\nasync def pre_patch", "\n\n@activity.defn\nasync def pre_patch", 1)
    assert len(new) == len(old) and new != old
    folder = tmp_path / "code"
    folder.mkdir()
    module = folder / "wf.py"
    module.write_text(old)
    stat = module.stat()
    py_compile.compile(str(module), cfile=importlib.util.cache_from_source(str(module)), doraise=True)
    module.write_text(new)
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    # The trap is real: a plain import runs the old code.
    probe = subprocess.run(
        [sys.executable, "-c", "import wf; print(sorted(n for n in wf.MyWorkflow.run.__code__.co_names if 'patch' in n))"],
        cwd=folder, capture_output=True, text=True, check=True,
    )
    assert "pre_patch_activity" in probe.stdout

    code, report = verify_json("-C", str(folder), "verify", "--histories", str(HISTORIES_DIR),
                               "--workflow", "wf:MyWorkflow")
    statuses = {n: r["status"] for n, r in by_file(report).items()}
    # Stage 4 behaviour (the new source), not stage 1 (the stale bytecode).
    assert statuses == {
        "h1_initial.json": "nondeterminism",
        "h2_patched.json": "nondeterminism",
        "h3_patch_deprecated.json": "ok",
        "h4_patch_complete.json": "ok",
    }


def test_verify_writes_no_bytecode_into_the_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/flows.py": stage_source(3)})
    env_before = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        verify_json("-C", str(repo), "verify", "--histories", str(HISTORIES_DIR))
    finally:
        if env_before is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = env_before
    assert not list(repo.rglob("__pycache__"))


@pytest.mark.e2e
def test_committed_histories_are_what_the_script_records(temporal_server, tmp_path: Path) -> None:
    """`make histories` (scripts/record_histories.py) recorded the committed
    files: a fresh recording has the same files, workflow ids, events and
    markers; only run ids, times and request ids differ."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import record_histories
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    written = asyncio.run(record_histories.record(temporal_server.address, tmp_path))
    assert sorted(p.name for p in written) == sorted(p.name for p in HISTORIES_DIR.glob("*.json"))

    def shape(path: Path) -> list:
        from patchmod.cli.readiness import patch_markers
        from temporalio.api.enums.v1 import EventType

        history = load_history(path)
        started = history.events[0].workflow_execution_started_event_attributes
        return [
            started.workflow_type.name,
            started.task_queue.name,
            [EventType.Name(e.event_type) for e in history.events],
            [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
             if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
            patch_markers(history.events),
            json.loads(path.read_text())["events"][0]["workflowExecutionStartedEventAttributes"].get("workflowId"),
        ]

    for path in written:
        assert shape(path) == shape(HISTORIES_DIR / path.name), path.name


def _verify_with_replayers(monkeypatch, count: int, *args: str) -> tuple[int, dict]:
    from patchmod.cli import verify as verify_mod

    monkeypatch.setattr(verify_mod, "replayer_count", lambda n_histories: count)
    return verify_json(*args)


def test_several_replayers_report_what_one_does(tmp_path: Path, monkeypatch) -> None:
    """Many histories are shared out to one child interpreter per core; the
    report is the same as one child's, history by history."""
    folder = tmp_path / "histories"
    folder.mkdir()
    for name in HISTORY_FILES.values():
        shutil.copy(HISTORIES_DIR / name, folder / name)
    (folder / "h5_not_a_history.json").write_text('{"events": "none"}')
    args = ("-C", str(STAGES_DIR), "verify", "--histories", str(folder), "--workflow",
            f"{STAGE_MODULES[3]}:MyWorkflow")
    one = _verify_with_replayers(monkeypatch, 1, *args)
    three = _verify_with_replayers(monkeypatch, 3, *args)
    assert three == one
    assert one[1]["counts"] == {"ok": 3, "nondeterminism": 1, "error": 1, "skipped": 0}
    assert len(one[1]["imports"]) == 1


@pytest.mark.parametrize("replayers", [1, 2])
@pytest.mark.parametrize("script, reason", [
    ("echo replayer broke >&2\nexit 3\n", "replay_crashed"),
    ("sleep 10\n", "timeout"),
])
def test_a_failed_replayer_is_an_error_for_its_histories(tmp_path: Path, monkeypatch, replayers: int,
                                                         script: str, reason: str) -> None:
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\n" + script)
    python.chmod(0o755)
    code, report = _verify_with_replayers(
        monkeypatch, replayers, "-C", str(STAGES_DIR), "verify", "--histories", str(HISTORIES_DIR),
        "--workflow", f"{STAGE_MODULES[3]}:MyWorkflow", "--python", str(python), "--timeout", "1")
    assert code == 1
    assert [r["reason"] for r in report["results"]] == [reason] * len(HISTORY_FILES)
    message = report["results"][0]["message"]
    assert all(r["message"] == message for r in report["results"])
    assert "replayer broke" in message if reason == "replay_crashed" else "within 1 s" in message
