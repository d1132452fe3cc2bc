"""`patchmod status` on real git repositories: every stage, every date
source, every problem kind with its line, the table and the pinned --json
schema."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GIT_ENV, commit_all, git, make_repo, write
from patchmod.cli.main import main
from patchmod.cli.status import status

TODAY = datetime.date(2026, 11, 21)

ORDERS = '''\
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, notify, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-01-10 introduced old-retry-v1: run
    - 2026-02-01 deprecated old-retry-v1
    - 2026-05-01 removed old-retry-v1
    - 2026-03-05 introduced add-fraud-check-v1: run
    - 2026-04-20 deprecated add-fraud-check-v1
    - 2026-09-01 introduced notify-customer-v1: run, _finish
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("notify-customer-v1"):
            await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
        return await self._finish(order_id)

    async def _finish(self, order_id: str) -> str:
        if workflow.patched("notify-customer-v1"):
            return "notified"
        return await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
'''

REFUNDS = '''\
from datetime import timedelta

from temporalio import workflow


@workflow.defn
class RefundWorkflow:
    @workflow.run
    async def run(self, amount: int) -> None:
        if workflow.patched("legacy-sleep-v1"):
            await workflow.sleep(timedelta(seconds=5))
'''

PLAIN = '''\
def helper() -> int:
    return 1
'''


def run(repo: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(repo), *args], catch_exceptions=False)


def commit_with_trailers(repo: Path, subject: str, trailers: list[tuple[str, str]], date: str) -> None:
    message = subject + "\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers) + "\n"
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"{date}T12:00:00", "GIT_COMMITTER_DATE": f"{date}T12:00:00"}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=repo, env=env, check=True)


@pytest.fixture
def every_stage(tmp_path: Path) -> Path:
    """Patches at every stage: active (notify-customer-v1, legacy-sleep-v1
    without a changelog line), deprecated (add-fraud-check-v1), removed
    (old-retry-v1 by changelog, legacy-timeout-v1 only by git trailers)."""
    repo = make_repo(tmp_path / "repo", {"workflows/plain.py": PLAIN})
    write(repo, "workflows/refunds.py", REFUNDS)
    git(repo, "add", "-A")
    commit_with_trailers(repo, "legacy sleep", [], "2026-06-15")
    commit_with_trailers(repo, "patchmod: introduce legacy-timeout-v1",
                         [("Patch-Id", "legacy-timeout-v1"), ("Patch-Stage", "introduced")], "2025-12-01")
    commit_with_trailers(repo, "patchmod: remove legacy-timeout-v1",
                         [("Patch-Id", "legacy-timeout-v1"), ("Patch-Stage", "removed")], "2026-02-02")
    write(repo, "workflows/orders.py", ORDERS)
    commit_all(repo, "orders")
    return repo


EXPECTED = {
    "command": "status",
    "today": "2026-11-21",
    "max_active_patches": 3,
    "patches": [
        {
            "patch_id": "legacy-sleep-v1", "stage": "active",
            "introduced": "2026-06-15", "deprecated": None, "removed": None,
            "date_sources": {"introduced": "git history", "deprecated": None, "removed": None},
            "age_days": 159, "stage_age_days": 159,
            "sites": [{"file": "workflows/refunds.py", "line": 10, "stage": "active", "class": "RefundWorkflow",
                       "method": "run", "workflows": ["RefundWorkflow"]}],
            "workflows": ["workflows/refunds.py:RefundWorkflow"],
        },
        {
            "patch_id": "notify-customer-v1", "stage": "active",
            "introduced": "2026-09-01", "deprecated": None, "removed": None,
            "date_sources": {"introduced": "changelog", "deprecated": None, "removed": None},
            "age_days": 81, "stage_age_days": 81,
            "sites": [
                {"file": "workflows/orders.py", "line": 29, "stage": "active", "class": "OrderWorkflow",
                 "method": "run", "workflows": ["OrderWorkflow"]},
                {"file": "workflows/orders.py", "line": 34, "stage": "active", "class": "OrderWorkflow",
                 "method": "_finish", "workflows": ["OrderWorkflow"]},
            ],
            "workflows": ["workflows/orders.py:OrderWorkflow"],
        },
        {
            "patch_id": "add-fraud-check-v1", "stage": "deprecated",
            "introduced": "2026-03-05", "deprecated": "2026-04-20", "removed": None,
            "date_sources": {"introduced": "changelog", "deprecated": "changelog", "removed": None},
            "age_days": 261, "stage_age_days": 215,
            "sites": [{"file": "workflows/orders.py", "line": 26, "stage": "deprecated", "class": "OrderWorkflow",
                       "method": "run", "workflows": ["OrderWorkflow"]}],
            "workflows": ["workflows/orders.py:OrderWorkflow"],
        },
        {
            "patch_id": "legacy-timeout-v1", "stage": "removed",
            "introduced": "2025-12-01", "deprecated": None, "removed": "2026-02-02",
            "date_sources": {"introduced": "git trailer", "deprecated": None, "removed": "git trailer"},
            "age_days": 355, "stage_age_days": 292,
            "sites": [], "workflows": [],
        },
        {
            "patch_id": "old-retry-v1", "stage": "removed",
            "introduced": "2026-01-10", "deprecated": "2026-02-01", "removed": "2026-05-01",
            "date_sources": {"introduced": "changelog", "deprecated": "changelog", "removed": "changelog"},
            "age_days": 315, "stage_age_days": 204,
            "sites": [], "workflows": ["workflows/orders.py:OrderWorkflow"],
        },
    ],
    "workflows": [
        {"file": "workflows/orders.py", "line": 12, "class": "OrderWorkflow", "pinned": False,
         "active": ["notify-customer-v1"], "deprecated": ["add-fraud-check-v1"], "active_count": 1,
         "over_limit": False},
        {"file": "workflows/refunds.py", "line": 7, "class": "RefundWorkflow", "pinned": False,
         "active": ["legacy-sleep-v1"], "deprecated": [], "active_count": 1, "over_limit": False},
    ],
    "problems": [
        {"file": "workflows/refunds.py", "line": 10, "kind": "no-changelog", "patch_id": "legacy-sleep-v1",
         "message": "patched('legacy-sleep-v1') has no 'introduced legacy-sleep-v1' line in RefundWorkflow's "
                    "Versioning History"},
    ],
    "files_scanned": 2,
    "message": "5 patches (2 active, 1 deprecated, 2 removed) in 2 workflow classes; 1 problem",
    "errors": [],
}


def test_every_stage_with_dates_sources_and_ages(every_stage):
    assert status(every_stage, today=TODAY).as_dict() == EXPECTED


def test_json_schema_is_pinned(every_stage):
    result = run(every_stage, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    today = datetime.date.today()
    assert data["today"] == today.isoformat()
    # Everything but the ages is as on the pinned date.
    shift = (today - TODAY).days
    expected = json.loads(json.dumps(EXPECTED))
    expected["today"] = today.isoformat()
    for patch in expected["patches"]:
        patch["age_days"] += shift
        patch["stage_age_days"] += shift
    assert data == expected

    assert set(data) == {"command", "today", "max_active_patches", "patches", "workflows", "problems",
                         "files_scanned", "message", "errors"}
    for patch in data["patches"]:
        assert set(patch) == {"patch_id", "stage", "introduced", "deprecated", "removed", "date_sources",
                              "age_days", "stage_age_days", "sites", "workflows"}
        assert patch["stage"] in ("active", "deprecated", "removed")
        assert set(patch["date_sources"]) == {"introduced", "deprecated", "removed"}
        assert all(v in (None, "changelog", "git trailer", "git history") for v in patch["date_sources"].values())
        for site in patch["sites"]:
            assert set(site) == {"file", "line", "stage", "class", "method", "workflows"}
    for workflow in data["workflows"]:
        assert set(workflow) == {"file", "line", "class", "pinned", "active", "deprecated", "active_count",
                                 "over_limit"}
    for problem in data["problems"]:
        assert set(problem) == {"file", "line", "kind", "patch_id", "message"}


def test_table_for_people(every_stage):
    result = run(every_stage, "status")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0]
    assert header.split() == ["PATCH", "ID", "STAGE", "INTRODUCED", "DEPRECATED", "REMOVED", "AGE", "SITES"]
    columns = [re.search(rf"\b{name}\b", header).start()
               for name in ("STAGE", "INTRODUCED", "DEPRECATED", "REMOVED", "AGE", "SITES")]
    rows = lines[1:lines.index("")]
    assert [r.split()[0] for r in rows if not r.startswith(" ")] == [
        "legacy-sleep-v1", "notify-customer-v1", "add-fraud-check-v1", "legacy-timeout-v1", "old-retry-v1"]
    for row in rows:
        if row.startswith(" "):  # a further site of the id above
            assert row[columns[-1]:].startswith("workflows/")
            continue
        for column in columns:
            assert row[column - 2:column] == "  " and row[column] != " ", (row, column)
    notify = next(r for r in rows if r.startswith("notify-customer-v1"))
    assert "active" in notify and "2026-09-01" in notify
    assert notify.endswith("workflows/orders.py:29 OrderWorkflow.run")
    assert rows[rows.index(notify) + 1].strip() == "workflows/orders.py:34 OrderWorkflow._finish"
    assert "WORKFLOW" in result.stdout
    assert re.search(r"^workflows/orders.py:12 OrderWorkflow\s+1/3\s+1\s+notify-customer-v1 add-fraud-check-v1$",
                     result.stdout, re.M)
    assert ("workflows/refunds.py:10: no-changelog: patched('legacy-sleep-v1') has no "
            "'introduced legacy-sleep-v1' line") in result.stdout
    assert lines[-1] == "5 patches (2 active, 1 deprecated, 2 removed) in 2 workflow classes; 1 problem"


def test_paths_limit_what_is_listed(every_stage):
    report = status(every_stage, ["workflows/refunds.py"], today=TODAY)
    assert [p["patch_id"] for p in report.patches] == ["legacy-sleep-v1"]
    report = status(every_stage / "workflows", ["orders.py"], today=TODAY)
    assert [p["patch_id"] for p in report.patches] == [
        "notify-customer-v1", "add-fraud-check-v1", "old-retry-v1"]


def test_lifecycle_through_the_commands(tmp_path):
    base = ORDERS.split("@workflow.defn")[0] + '''@workflow.defn
class ShipWorkflow:
    """Ships."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        return await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
'''
    repo = make_repo(tmp_path / "repo", {"wf.py": base})
    edited = base.replace("        return await", "        await workflow.execute_activity(notify, order_id, "
                                                "start_to_close_timeout=TIMEOUT)\n        return await")
    write(repo, "wf.py", edited)
    assert run(repo, "introduce", "notify-v1").exit_code == 0
    today = datetime.date.today().isoformat()

    def stage_of(patch_id):
        data = json.loads(run(repo, "status", "--json").stdout)
        return {p["patch_id"]: p for p in data["patches"]}[patch_id]

    assert stage_of("notify-v1")["stage"] == "active"
    assert stage_of("notify-v1")["introduced"] == today
    assert run(repo, "deprecate", "notify-v1").exit_code == 0
    assert (stage_of("notify-v1")["stage"], stage_of("notify-v1")["deprecated"]) == ("deprecated", today)
    assert run(repo, "remove", "notify-v1").exit_code == 0
    patch = stage_of("notify-v1")
    assert (patch["stage"], patch["removed"], patch["sites"]) == ("removed", today, [])
    assert patch["date_sources"] == {"introduced": "changelog", "deprecated": "changelog", "removed": "changelog"}


# -- problems, each with its line ---------------------------------------------------------

HEAD = '''\
from temporalio import workflow
'''


def problems(tmp_path: Path, source: str, extra: dict[str, str] | None = None) -> list[tuple[str, int, str, str]]:
    repo = make_repo(tmp_path / "repo", {"wf.py": source, **(extra or {})})
    result = run(repo, "status", "--json")
    assert result.exit_code == 0, result.output  # problems are listed, not fatal
    return [(p["file"], p["line"], p["kind"], p["message"]) for p in json.loads(result.stdout)["problems"]]


def doc(*entries: str) -> str:
    lines = "\n".join(f"    - {e}" for e in entries)
    return f'    """Does things.\n\n    Versioning History:\n{lines}\n    """\n'


def test_chain_in_wrong_order_by_changelog_dates(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced fast-path-v1: run", "2026-03-01 introduced slow-path-v1: run") + '''
    @workflow.run
    async def run(self) -> int:
        if workflow.patched("fast-path-v1"):
            return 1
        elif workflow.patched("slow-path-v1"):
            return 2
        return 3
'''
    found = problems(tmp_path, source)
    assert [(f, n, k) for f, n, k, _ in found] == [("wf.py", 15, "chain-order")]
    assert "tests 'fast-path-v1' (introduced 2026-01-01) before the newer 'slow-path-v1'" in found[0][3]


def test_chain_in_wrong_order_by_versions(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced charge-v1: run", "2026-01-01 introduced charge-v2: run") + '''
    @workflow.run
    async def run(self) -> int:
        if workflow.patched("charge-v1"):
            return 1
        elif workflow.patched("charge-v2"):
            return 2
        return 3
'''
    assert [(n, k) for _, n, k, _ in problems(tmp_path, source)] == [(15, "chain-order")]


def test_chains_that_contradict_each_other(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced red-v1: run", "2026-01-01 introduced blue-v1: run") + '''
    @workflow.run
    async def run(self) -> int:
        if workflow.patched("red-v1"):
            x = 1
        elif workflow.patched("blue-v1"):
            x = 2
        if workflow.patched("blue-v1"):
            return 1
        elif workflow.patched("red-v1"):
            return 2
        return 3
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(19, "chain-order")]
    assert "the chain at line 15 tests them the other way round" in found[0][3]


def test_patch_in_a_loop(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced retry-more-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        for _ in range(3):
            if workflow.patched("retry-more-v1"):
                await workflow.sleep(1)
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(15, "in-loop")]
    assert "inside a loop in run()" in found[0][3]


def test_patch_in_query_handler_validator_and_what_they_reach(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced q-v1: run, total", "2026-01-01 introduced v-v1: check",
          "2026-01-01 introduced h-v1: describe") + '''
    def __init__(self) -> None:
        self.n = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.n > 3)

    @workflow.query
    def total(self) -> int:
        if workflow.patched("q-v1"):
            return self.n + 1
        return self.describe()

    def describe(self) -> int:
        return 2 if workflow.patched("h-v1") else 1

    @workflow.update
    async def add(self, k: int) -> None:
        self.n += k

    @add.validator
    def check(self, k: int) -> None:
        if workflow.patched("v-v1"):
            assert k > 0
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(23, "read-only"), (28, "read-only"), (36, "read-only")]
    assert "patched('q-v1') in total(), which a query handler or update validator runs" in found[0][3]
    assert "patched('h-v1') in describe()" in found[1][3]


def test_id_introduced_twice_in_one_class(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced again-v1: run", "2026-05-01 introduced again-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("again-v1"):
            await workflow.sleep(1)
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(10, "reused-id")]
    assert "introduces 'again-v1' a second time (first at line 9)" in found[0][3]


def test_id_introduced_in_two_classes_on_different_dates(tmp_path):
    one = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced shared-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("shared-v1"):
            await workflow.sleep(1)
'''
    two = one.replace("class A:", "class B:").replace("2026-01-01", "2026-06-01")
    found = problems(tmp_path, one, {"other.py": two})
    assert [(f, n, k) for f, n, k, _ in found] == [("other.py", 9, "reused-id")]
    assert "'shared-v1' introduced in B on 2026-06-01, but in A (wf.py:9) on 2026-01-01" in found[0][3]


def test_id_back_in_the_code_after_it_was_removed(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced back-v1: run", "2026-02-01 deprecated back-v1", "2026-03-01 removed back-v1",
          "2026-04-01 introduced back-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("back-v1"):
            await workflow.sleep(1)
'''
    found = problems(tmp_path, source)
    kinds = [(n, k) for _, n, k, _ in found]
    assert (12, "reused-id") in kinds  # introduced a second time
    assert (17, "reused-id") in kinds  # the site of a removed id
    site = next(m for _, n, _, m in found if n == 17)
    assert "'back-v1' was removed on 2026-03-01" in site


def test_id_both_active_and_deprecated(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced half-v1: run, later", "2026-02-01 deprecated half-v1") + '''
    @workflow.run
    async def run(self) -> None:
        workflow.deprecate_patch("half-v1")
        await self.later()

    async def later(self) -> None:
        if workflow.patched("half-v1"):
            await workflow.sleep(1)
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(19, "mixed-stage")]
    assert "wf.py:15 deprecates it already: run `patchmod deprecate half-v1`" in found[0][3]


def test_class_over_the_configured_limit(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
''' + doc("2026-01-01 introduced one-thing-v1: run", "2026-01-02 introduced two-things-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("one-thing-v1"):
            await workflow.sleep(1)
        if workflow.patched("two-things-v1"):
            await workflow.sleep(2)
'''
    config = {"pyproject.toml": "[tool.patchmod]\nmax-active-patches = 1\n"}
    found = problems(tmp_path, source, config)
    assert [(n, k) for _, n, k, _ in found] == [(5, "too-many-active")]
    assert "A has 2 active patches (limit 1)" in found[0][3]
    assert problems(tmp_path / "default", source) == []


def test_sites_without_changelog_lines(tmp_path):
    source = HEAD + '''

@workflow.defn
class A:
    @workflow.run
    async def run(self) -> None:
        workflow.deprecate_patch("quiet-v1")
        if workflow.patched("silent-v1"):
            await workflow.sleep(1)
'''
    found = problems(tmp_path, source)
    assert [(n, k) for _, n, k, _ in found] == [(8, "no-changelog"), (9, "no-changelog")]
    assert "deprecate_patch('quiet-v1') has no 'deprecated quiet-v1' line in A's Versioning History" in found[0][3]


def test_unreadable_module_is_a_problem_not_a_crash(tmp_path):
    found = problems(tmp_path, HEAD + "\nif workflow.patched('x-v1')\n    pass\n")
    assert [(f, n, k) for f, n, k, _ in found] == [("wf.py", 3, "unreadable")]


def test_clean_repository(tmp_path):
    repo = make_repo(tmp_path / "repo", {"plain.py": PLAIN})
    result = run(repo, "status")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "no patches found", "", "0 patches (0 active, 0 deprecated, 0 removed) in 0 workflow classes; 0 problems"]


def test_pinned_class_is_marked(tmp_path):
    source = HEAD + '''from temporalio.common import VersioningBehavior


@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)
class A:
''' + doc("2026-01-01 introduced p-v1: run") + '''
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("p-v1"):
            await workflow.sleep(1)
'''
    repo = make_repo(tmp_path / "repo", {"wf.py": source})
    data = json.loads(run(repo, "status", "--json").stdout)
    assert data["workflows"][0]["pinned"] is True
    assert "wf.py:6 A (pinned)" in run(repo, "status").stdout


@pytest.mark.parametrize(("args", "message"), [
    (["status", "missing.py"], "missing.py: no such file or directory"),
])
def test_bad_input_exits_2(tmp_path, args, message):
    repo = make_repo(tmp_path / "repo", {"plain.py": PLAIN})
    result = run(repo, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_not_a_repository_exits_2(tmp_path):
    result = run(tmp_path, "status", "--json")
    assert result.exit_code == 2
    assert "not a git repository" in result.stderr
    assert json.loads(result.stdout)["errors"]


def test_many_files_read_in_worker_processes_give_the_same_report(tmp_path):
    files = {f"wf_{n}.py": ORDERS.replace("OrderWorkflow", f"Order{n}Workflow") for n in range(12)}
    repo = make_repo(tmp_path / "repo", files)
    parallel = status(repo, today=TODAY)  # more than 8 files: worker processes
    serial = status(repo, today=TODAY, jobs=1)
    assert parallel.as_dict() == serial.as_dict()
    assert parallel["files_scanned"] == 12
    result = run(repo, "status", "-j", "2", "--json")
    assert result.exit_code == 0, result.output
    shown = [(p["patch_id"], p["stage"], p["sites"]) for p in json.loads(result.stdout)["patches"]]
    assert shown == [(p["patch_id"], p["stage"], p["sites"]) for p in serial["patches"]]


def test_sites_in_comprehensions_while_tests_and_aliases(tmp_path):
    from patchmod.codemods.inventory import inventory

    source = '''\
from temporalio import workflow
from temporalio.workflow import patched as p


@workflow.defn
class A:
    @workflow.run
    async def run(self) -> None:
        xs = [p("comp-v1") for _ in range(3)]
        while workflow.patched("wait-v1"):
            await workflow.sleep(1)
        for _ in range(3):
            pass
        else:
            p("after-loop-v1")
        def later():
            return p("nested-v1")
        for _ in range(2):
            async def inner():
                return p("def-in-loop-v1")
'''
    module = inventory(source)
    sites = {(s.patch_id, s.line, s.method, s.in_loop) for s in module.sites}
    assert sites == {("comp-v1", 9, "run", True), ("wait-v1", 10, "run", True),
                     ("after-loop-v1", 15, "run", False), ("nested-v1", 17, "run", False),
                     ("def-in-loop-v1", 20, "run", False)}


def test_id_introduced_by_two_commits(tmp_path):
    repo = make_repo(tmp_path / "repo", {"plain.py": PLAIN})
    for date in ("2026-01-05", "2026-07-05"):
        commit_with_trailers(repo, "patchmod: introduce twice-v1",
                             [("Patch-Id", "twice-v1"), ("Patch-Stage", "introduced")], date)
    result = run(repo, "status", "--json")
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["line"], p["kind"], p["patch_id"]) for p in problems] == [
        (None, None, "reused-id", "twice-v1")]
    assert "'twice-v1' was introduced by 2 commits" in problems[0]["message"]
    assert "reused-id: 'twice-v1' was introduced by 2 commits" in run(repo, "status").stdout
