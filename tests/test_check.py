"""`patchmod check` on real git repositories.

Every introduce fixture is a check case: the edit against its base must fail
(unless the fixture says no patch is needed), introduce's result must pass,
and the command check suggests must make it pass.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import commit_all, git, head, make_repo, snapshot, write
from patchmod.cli.main import main

FIXTURES = Path(__file__).resolve().parent.parent / "testdata" / "introduce"
ORDER = "workflows/order.py"
FINDING = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): (?P<text>.*)$")


def cases(kind: str) -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / kind).is_file())


def run(repo: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(repo), *args], catch_exceptions=False)


def findings(output: str) -> list[tuple[str, int, str]]:
    found = []
    for line in output.splitlines():
        match = FINDING.match(line)
        if match:
            found.append((match["file"], int(match["line"]), match["text"]))
    return found


def fixture_repo(tmp_path: Path, case: Path) -> Path:
    return make_repo(tmp_path / "repo", {ORDER: (case / "base.py").read_bytes()})


# -- the introduce fixtures -------------------------------------------------------------


@pytest.mark.parametrize("case", cases("expected.py"), ids=lambda p: p.name)
def test_edit_without_patch_fails_and_the_suggested_introduce_fixes_it(tmp_path, case):
    repo = fixture_repo(tmp_path, case)
    write(repo, ORDER, (case / "edited.py").read_bytes())
    before = snapshot(repo)

    result = run(repo, "check")
    assert result.exit_code == 1, result.output
    found = findings(result.stdout)
    unpatched = [f for f in found if "without a patch" in f[2]]
    assert unpatched, result.stdout
    edited_lines = (case / "edited.py").read_text().splitlines()
    for path, line, text in unpatched:
        assert path == ORDER
        assert 1 <= line <= len(edited_lines)
        assert re.match(r"^\w+\(\): (added|removed|changed) .* without a patch; run: patchmod introduce \S+-v\d+ "
                        + re.escape(ORDER) + "$", text), text
    assert result.stdout.splitlines()[-1].startswith("patchmod check: ")
    assert snapshot(repo) == before  # check writes nothing

    # The suggested command works, and then check passes against the base.
    command = shlex.split(unpatched[0][2].split("; run: ", 1)[1])
    assert command[:2] == ["patchmod", "introduce"]
    introduced = run(repo, *command[1:])
    assert introduced.exit_code == 0, introduced.output
    after = run(repo, "check", "--base", "HEAD~1")
    assert after.exit_code == 0, after.output
    # One summary line, after the notes on pinned workflows (they need no patch).
    assert [line for line in after.stdout.splitlines() if ": note: " not in line] == [after.stdout.splitlines()[-1]]
    assert f"under a new patch ({command[2]})" in after.stdout


@pytest.mark.parametrize("case", cases("expected.py"), ids=lambda p: p.name)
def test_introduced_result_passes(tmp_path, case):
    repo = fixture_repo(tmp_path, case)
    write(repo, ORDER, (case / "expected.py").read_bytes())
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    notes = "".join(line for line in result.stdout.splitlines(keepends=True) if ": note: " in line)
    assert bool(notes) == (case / "notes.txt").exists()  # a pinned workflow changed: check says so
    assert result.stdout == notes + (
        "patchmod check: ok: 1 changed Python file against HEAD; "
        "every workflow change is under a new patch (new-feature-v1)\n"
    )


@pytest.mark.parametrize("case", cases("nothing.txt"), ids=lambda p: p.name)
def test_safe_only_changes_stay_silent(tmp_path, case):
    repo = fixture_repo(tmp_path, case)
    write(repo, ORDER, (case / "edited.py").read_bytes())
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stdout.splitlines(keepends=True) if ": note: " in line]
    assert "".join(notes) + "patchmod check: ok: 1 changed Python file against HEAD; " \
        "no workflow change needs a patch\n" == result.stdout
    assert bool(notes) == (case / "notes.txt").exists()  # a pinned workflow changed: check says so
    assert result.stderr == ""


@pytest.mark.parametrize("case", cases("refused.txt"), ids=lambda p: p.name)
def test_changes_introduce_refuses_fail_too(tmp_path, case):
    """What introduce cannot wrap still changed: check fails (1), or, for a
    file that does not parse, reports bad input (2) at the line."""
    repo = fixture_repo(tmp_path, case)
    write(repo, ORDER, (case / "edited.py").read_bytes())
    result = run(repo, "check")
    if case.name.startswith("syntax_error"):
        assert result.exit_code == 2, result.output
        expected_line = (case / "refused.txt").read_text().split(":", 2)
        where = f"{ORDER}@HEAD:{expected_line[1]}" if expected_line[0] == "base" else f"{ORDER}:{expected_line[0]}"
        assert result.stderr.startswith(where + ": syntax error"), result.stderr
    else:
        assert result.exit_code == 1, result.output
        assert any("without a patch" in text for _, _, text in findings(result.stdout)), result.stdout


# -- what a finding says -----------------------------------------------------------------------

BASE = '''\
import datetime as dt
import os
import random
import time
import uuid
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order."""

    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, order_id: str) -> str:
        jitter = random.random()
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"

    @workflow.signal
    def approve(self) -> None:
        self._approved = True

    @workflow.query
    def approved(self) -> bool:
        return self._approved
'''


# The run method gains an activity call: a change that needs a patch.
ADDS_NOTIFY = BASE.replace(
    "        return \"shipped\"\n",
    "        await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)\n"
    "        return \"shipped\"\n")


def base_repo(tmp_path: Path, text: str = BASE) -> Path:
    return make_repo(tmp_path / "repo", {ORDER: text})


def test_finding_format_names_line_function_change_and_command(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, ADDS_NOTIFY)
    result = run(repo, "check")
    assert result.exit_code == 1
    assert result.stdout == (
        f"{ORDER}:28: run(): added `await workflow.execute_activity(notify, order_id, "
        "start_to_close_timeout=TIMEOUT)` without a patch; run: patchmod introduce add-notify-v1 "
        f"{ORDER}\n"
        "patchmod check: 1 problem in 1 file (1 changed Python file against HEAD)\n"
    )


def test_json_gives_each_finding_as_data_for_a_bot(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, ADDS_NOTIFY)
    result = run(repo, "check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["errors"] == []
    assert report["base"] == "HEAD" and report["base_commit"] == head(repo)
    assert report["files"] == [ORDER]
    assert report["findings"] == [{
        "file": ORDER, "line": 28, "function": "run", "kind": "unpatched",
        "message": "run(): added `await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)` "
                   f"without a patch; run: patchmod introduce add-notify-v1 {ORDER}"}]
    assert report["message"] == "patchmod check: 1 problem in 1 file (1 changed Python file against HEAD)"


def test_json_when_all_is_well_and_when_the_input_is_bad(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace("        jitter = random.random()\n", "        # no jitter\n"
                                    "        jitter = random.random()\n"))
    done = run(repo, "check", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["ok"] is True and json.loads(done.stdout)["findings"] == []

    write(repo, ORDER, BASE.replace("class OrderWorkflow:", "class OrderWorkflow"))
    refused = run(repo, "check", "--json")
    assert refused.exit_code == 2
    report = json.loads(refused.stdout)
    assert report["ok"] is False and report["findings"] == []
    [error] = report["errors"]
    assert error["file"] == ORDER and error["line"] == BASE.splitlines().index("class OrderWorkflow:") + 1, error


def test_suggested_path_is_relative_to_the_folder_check_ran_in(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    result = run(repo / "workflows", "check")
    assert result.exit_code == 1
    assert "run: patchmod introduce order-run-change-v1 order.py\n" in result.stdout


def test_suggested_id_is_not_one_the_module_knows(tmp_path):
    text = BASE.replace('"""Charges and ships one order."""', '''"""Charges and ships one order.

    Versioning History:
    - 2025-01-02 introduced add-notify-v1: run
    - 2025-03-02 deprecated add-notify-v1
    """''')
    repo = base_repo(tmp_path, text)
    write(repo, ORDER, text.replace(
        "        return \"shipped\"\n",
        "        await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)\n"
        "        return \"shipped\"\n"))
    result = run(repo, "check")
    assert "run: patchmod introduce add-notify-v2 " in result.stdout


def test_removed_signal_handler_is_reported_at_its_base_line(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace(
        "    @workflow.signal\n    def approve(self) -> None:\n        self._approved = True\n\n", ""))
    result = run(repo, "check")
    assert result.exit_code == 1
    assert (f"{ORDER}@HEAD:31: approve(): removed the signal handler OrderWorkflow.approve() without a patch; "
            "old executions may still call it") in result.stdout


def test_changed_module_constant_is_reported_where_workflow_code_reads_it(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace("TIMEOUT = timedelta(seconds=10)", "TIMEOUT = timedelta(seconds=30)"))
    result = run(repo, "check")
    assert result.exit_code == 1
    lines = findings(result.stdout)
    assert [(p, n) for p, n, _ in lines] == [(ORDER, 26)]
    assert "what `TIMEOUT` is (`TIMEOUT = timedelta(seconds=10)` to `TIMEOUT = timedelta(seconds=30)`)" in lines[0][2]
    assert "choose with workflow.patched()" in lines[0][2]


def test_query_logging_comment_and_new_handler_are_safe(tmp_path):
    repo = base_repo(tmp_path)
    edited = BASE.replace("        return self._approved\n", "        return bool(self._approved)\n")
    edited = edited.replace("        jitter = random.random()\n",
                            "        # pick a jitter\n        jitter = random.random()\n"
                            "        workflow.logger.info(\"order %s\", order_id)\n")
    edited += '''
    @workflow.signal
    def cancel(self) -> None:
        self._approved = False
'''
    write(repo, ORDER, edited)
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    assert "no workflow change needs a patch" in result.stdout


# -- non-determinism ---------------------------------------------------------------------------

NONDETERMINISTIC = [
    ("x = random.randint(1, 6)", "random.randint() is not deterministic", "use workflow.random()"),
    ("x = time.time()", "time.time() is not deterministic", "use workflow.time() or workflow.now()"),
    ("x = datetime.now()", "datetime.datetime.now() is not deterministic", "use workflow.now()"),
    ("x = dt.datetime.utcnow()", "datetime.datetime.utcnow() is not deterministic", "use workflow.now()"),
    ("x = uuid.uuid4()", "uuid.uuid4() is not deterministic", "use workflow.uuid4()"),
    ("x = os.environ['REGION']", "os.environ is not deterministic", "use a workflow argument, or an activity"),
    ("x = os.getenv('REGION')", "os.getenv() is not deterministic", "use a workflow argument, or an activity"),
    ("x = open('/etc/hosts').read()", "open() is not deterministic", "use an activity"),
    ("import threading; threading.Thread(target=print).start()", "threading.Thread() is not deterministic",
     "use asyncio tasks"),
    ("import requests; x = requests.get('http://x')", "requests.get() is not deterministic", "use an activity"),
    ("import urllib.request; urllib.request.urlopen('http://x')", "urllib.request.urlopen() is not deterministic",
     "use an activity"),
    ("import socket; socket.create_connection(('x', 1))", "socket.create_connection() is not deterministic",
     "use an activity"),
    ("time.sleep(1)", "time.sleep() is not deterministic", "use await workflow.sleep(...)"),
]


@pytest.mark.parametrize(("statement", "what", "alternative"), NONDETERMINISTIC, ids=[n[1].split()[0] for n in NONDETERMINISTIC])
def test_new_nondeterministic_call_is_reported_with_the_alternative(tmp_path, statement, what, alternative):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace("        jitter = random.random()\n",
                                    f"        jitter = random.random()\n        {statement}\n"))
    result = run(repo, "check")
    assert result.exit_code == 1
    reported = [(n, text) for _, n, text in findings(result.stdout) if "not deterministic" in text]
    assert len(reported) == 1, result.stdout
    line, text = reported[0]
    assert line == 26
    assert text.startswith(f"run(): {what} in workflow code")
    assert alternative in text


def test_existing_nondeterministic_call_is_not_reported_again(tmp_path):
    repo = base_repo(tmp_path)  # run() already calls random.random()
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    result = run(repo, "check")
    assert "not deterministic" not in result.stdout


def test_nondeterministic_call_in_activity_or_query_is_fine(tmp_path):
    text = BASE.replace("        return self._approved\n", "        return self._approved\n\n"
                        "    @workflow.query\n    def now(self) -> float:\n        return time.time()\n")
    repo = base_repo(tmp_path, BASE)
    write(repo, ORDER, text + "\n\nasync def helper_activity() -> float:\n    return time.time()\n")
    result = run(repo, "check")
    assert result.exit_code == 0, result.output


# -- pinned workflows ----------------------------------------------------------------------------

PINNED_SPELLINGS = [
    ("from temporalio.common import VersioningBehavior\n", "VersioningBehavior.PINNED"),
    ("import temporalio.common\n", "temporalio.common.VersioningBehavior.PINNED"),
    ("from temporalio.common import VersioningBehavior as VB\n", "VB.PINNED"),
    ("from temporalio import common\n", "common.VersioningBehavior.PINNED"),
]


@pytest.mark.parametrize(("imports", "value"), PINNED_SPELLINGS, ids=[v for _, v in PINNED_SPELLINGS])
def test_pinned_workflow_needs_no_patch_and_check_says_so(tmp_path, imports, value):
    text = imports + BASE.replace("@workflow.defn\nclass", f"@workflow.defn(versioning_behavior={value})\nclass")
    repo = base_repo(tmp_path, text)
    write(repo, ORDER, text.replace("return \"shipped\"", "return \"done\""))
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{ORDER}:")
    assert "note: OrderWorkflow changed, and it is pinned (versioning_behavior=PINNED)" in lines[0]
    assert "no patch is needed" in lines[0]
    assert lines[-1].startswith("patchmod check: ok:")


def test_pinning_a_workflow_in_the_same_change_spares_no_patch(tmp_path):
    # Executions running now were started by the unpinned build: they move
    # to the new code, so the change needs a patch, as introduce agrees.
    pinned = "from temporalio.common import VersioningBehavior\n" + BASE.replace(
        "@workflow.defn\nclass", "@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)\nclass")
    repo = base_repo(tmp_path, BASE)
    write(repo, ORDER, pinned.replace("return \"shipped\"", "return \"done\""))
    result = run(repo, "check")
    assert result.exit_code == 1, result.output
    assert "pinned" not in result.output
    assert run(repo, "introduce", "finish-with-done-v1").exit_code == 0
    assert 'workflow.patched("finish-with-done-v1")' in (repo / ORDER).read_text()
    assert run(repo, "check", "--base", "HEAD~1").exit_code == 0


def test_unpinning_a_workflow_needs_no_patch_for_the_pinned_executions(tmp_path):
    pinned = "from temporalio.common import VersioningBehavior\n" + BASE.replace(
        "@workflow.defn\nclass", "@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)\nclass")
    repo = base_repo(tmp_path, pinned)
    unpinned = pinned.replace("(versioning_behavior=VersioningBehavior.PINNED)", "")
    write(repo, ORDER, unpinned.replace("return \"shipped\"", "return \"done\""))
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    assert "OrderWorkflow changed, and it is pinned" in result.stdout


def test_auto_upgrade_workflow_still_needs_a_patch(tmp_path):
    text = "from temporalio.common import VersioningBehavior\n" + BASE.replace(
        "@workflow.defn\nclass", "@workflow.defn(versioning_behavior=VersioningBehavior.AUTO_UPGRADE)\nclass")
    repo = base_repo(tmp_path, text)
    write(repo, ORDER, text.replace("return \"shipped\"", "return \"done\""))
    assert run(repo, "check").exit_code == 1


# -- the stages after introduce ----------------------------------------------------------------


def introduced_repo(tmp_path: Path) -> Path:
    repo = base_repo(tmp_path)
    write(repo, ORDER, ADDS_NOTIFY)
    assert run(repo, "introduce", "notify-customer-v1").exit_code == 0
    return repo


def test_deprecate_and_remove_commits_pass(tmp_path):
    repo = introduced_repo(tmp_path)
    assert run(repo, "check", "--base", "HEAD~1").exit_code == 0
    assert run(repo, "deprecate", "notify-customer-v1").exit_code == 0
    result = run(repo, "check", "--base", "HEAD~1")
    assert result.exit_code == 0, result.output
    assert run(repo, "remove", "notify-customer-v1").exit_code == 0
    result = run(repo, "check", "--base", "HEAD~1")
    assert result.exit_code == 0, result.output


def test_dropping_an_active_patch_without_deprecating_it_fails(tmp_path):
    repo = introduced_repo(tmp_path)
    text = (repo / ORDER).read_text()
    write(repo, ORDER, text.replace('        if workflow.patched("notify-customer-v1"):\n    ', ""))
    result = run(repo, "check")
    assert result.exit_code == 1
    assert (f"{ORDER}@HEAD:32: patched('notify-customer-v1') is gone without a "
            "deprecate_patch('notify-customer-v1') left behind") in result.stdout
    assert "run `patchmod deprecate notify-customer-v1` first" in result.stdout


def test_reusing_a_retired_id_fails(tmp_path):
    repo = introduced_repo(tmp_path)
    assert run(repo, "deprecate", "notify-customer-v1").exit_code == 0
    text = (repo / ORDER).read_text()
    write(repo, ORDER, text.replace(
        "        return \"shipped\"\n",
        "        if workflow.patched(\"notify-customer-v1\"):\n"
        "            await workflow.sleep(timedelta(seconds=1))\n"
        "        return \"shipped\"\n"))
    result = run(repo, "check")
    assert result.exit_code == 1
    assert "patch id 'notify-customer-v1' was used before" in result.stdout


def test_patch_newly_placed_in_a_query_fails(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace(
        "        return self._approved\n",
        "        if workflow.patched(\"approved-as-bool-v1\"):\n"
        "            return bool(self._approved)\n"
        "        return self._approved\n"))
    result = run(repo, "check")
    assert result.exit_code == 1
    assert (f"{ORDER}:36: patched('approved-as-bool-v1') in approved(), which a query handler or update "
            "validator runs") in result.stdout


def test_change_inside_an_existing_patch_branch_needs_a_new_patch(tmp_path):
    repo = introduced_repo(tmp_path)
    text = (repo / ORDER).read_text()
    write(repo, ORDER, text.replace("notify, order_id, start_to_close_timeout=TIMEOUT",
                                    "notify, order_id, start_to_close_timeout=timedelta(minutes=1)"))
    result = run(repo, "check")
    assert result.exit_code == 1
    assert "without a patch; run: patchmod introduce change-notify-v1" in result.stdout


# -- base, paths, usage ------------------------------------------------------------------------


def test_base_is_the_merge_base_of_rev_and_head(tmp_path):
    repo = base_repo(tmp_path)
    git(repo, "switch", "-q", "-c", "feature")
    write(repo, "README.md", "docs\n")
    commit_all(repo, "docs only")
    git(repo, "switch", "-q", "main")
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    commit_all(repo, "unpatched change on main")  # not the feature branch's doing
    git(repo, "switch", "-q", "feature")
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 0, result.output
    assert "0 changed Python files against main" in result.stdout


def test_committed_change_on_a_branch_is_found(tmp_path):
    repo = base_repo(tmp_path)
    git(repo, "switch", "-q", "-c", "feature")
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    commit_all(repo, "change")
    assert run(repo, "check").exit_code == 0  # nothing differs from HEAD
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 1
    assert f"{ORDER}:28: run(): changed `return 'shipped'` to `return 'done'` without a patch" in result.stdout


def test_paths_limit_the_files_checked(tmp_path):
    repo = make_repo(tmp_path / "repo", {ORDER: BASE, "workflows/other.py": BASE})
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    write(repo, "workflows/other.py", BASE.replace("return \"shipped\"", "return \"done\""))
    result = run(repo, "check", "workflows/other.py")
    assert result.exit_code == 1
    assert {p for p, _, _ in findings(result.stdout)} == {"workflows/other.py"}
    assert run(repo, "check", "workflows").exit_code == 1


def test_new_module_and_non_workflow_files_pass(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, "workflows/new.py", BASE)
    git(repo, "add", "workflows/new.py")
    write(repo, "tools/script.py", "print('hi')\n")
    git(repo, "add", "tools/script.py")
    result = run(repo, "check")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["check", "--base", "no-such-rev"], "no-such-rev: unknown revision"),
    (["check", "missing.py"], "missing.py: no such file or directory"),
])
def test_bad_usage_exits_2(tmp_path, args, message):
    repo = base_repo(tmp_path)
    result = run(repo, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_not_a_repository_exits_2(tmp_path):
    result = run(tmp_path, "check")
    assert result.exit_code == 2
    assert "not a git repository" in result.stderr


def test_head_is_unchanged_by_check(tmp_path):
    repo = base_repo(tmp_path)
    write(repo, ORDER, BASE.replace("return \"shipped\"", "return \"done\""))
    sha = head(repo)
    run(repo, "check")
    assert head(repo) == sha
