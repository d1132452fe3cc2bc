"""`patchmod introduce` on real git repositories: what it commits, prints and
refuses. The rewrite itself is pinned by the fixtures in testdata/introduce;
these tests are about the command around it."""

from __future__ import annotations

import datetime
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import (
    commit_all,
    committed_files,
    file_at,
    git,
    head,
    make_repo,
    snapshot,
    status,
    trailers,
    write,
)
from patchmod.cli.main import main

PATCH_ID = "add-fraud-check-v1"
ORDER = "workflows/order.py"

BASE = '''\
"""Order fulfilment."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def charge_payment(order_id: str) -> str:
    return f"pay-{order_id}"


@activity.defn
async def check_fraud(order_id: str) -> bool:
    return True


@activity.defn
async def ship_order(order_id: str) -> str:
    return f"track-{order_id}"


@workflow.defn
class OrderWorkflow:
    """Charges an order and ships it."""

    def __init__(self) -> None:
        self._status = "new"

    @workflow.run
    async def run(self, order_id: str) -> str:
        workflow.logger.info("order %s", order_id)
        await workflow.execute_activity(
            charge_payment, order_id, start_to_close_timeout=timedelta(seconds=10)
        )
        self._status = self._describe("charged")
        return await workflow.execute_activity(
            ship_order, order_id, start_to_close_timeout=timedelta(seconds=10)
        )

    def _describe(self, what: str) -> str:
        return what

    @workflow.query
    def status(self) -> str:
        return self._describe(self._status)
'''

# A fraud check after payment: a pure addition in `run`.
EDITED = BASE.replace(
    '''        self._status = self._describe("charged")
''',
    '''        self._status = self._describe("charged")
        safe = await workflow.execute_activity(
            check_fraud, order_id, start_to_close_timeout=timedelta(seconds=10)
        )
        if not safe:
            return "held-for-review"
''',
)

# Only a comment and a log message changed: no command changes, no patch.
COSMETIC = BASE.replace(
    '''        workflow.logger.info("order %s", order_id)
''',
    '''        # Payment first, then shipping.
        workflow.logger.info("processing order %s", order_id)
''',
)

# `_describe` runs in a query handler too: a patch there would fail at run time.
QUERY_EDIT = BASE.replace(
    '''    def _describe(self, what: str) -> str:
        return what
''',
    '''    def _describe(self, what: str) -> str:
        return what.upper()
''',
)

NOT_WORKFLOW = '''\
def total(prices):
    return sum(prices)
'''

TODAY = datetime.date.today().isoformat()


def run(*args: str):
    """patchmod in-process; stdout and stderr kept apart (click 8.2+)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _assert_clean_failure(result) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {
        ORDER: BASE,
        "workflows/__init__.py": "",
        "tools/prices.py": NOT_WORKFLOW,
        "notes.txt": "todo\n",
        "staged.txt": "one\n",
    })


# --- the commit ------------------------------------------------------------


def test_commit_holds_exactly_the_rewritten_file(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    # Unrelated work in progress: a dirty text file, a staged file, a dirty
    # non-workflow Python file (it differs from HEAD, so it is analysed).
    write(repo, "notes.txt", "todo\nmore\n")
    write(repo, "staged.txt", "two\n")
    git(repo, "add", "staged.txt")
    write(repo, "tools/prices.py", NOT_WORKFLOW + "\n\ndef mean(p):\n    return total(p) / len(p)\n")
    base_sha = head(repo)
    staged_before = git(repo, "diff", "--cached", "--", "staged.txt")
    dirty_before = {p: (repo / p).read_bytes() for p in ("notes.txt", "staged.txt", "tools/prices.py")}

    result = run("-C", repo, "introduce", PATCH_ID)

    assert result.exit_code == 0, result.stderr
    new_sha = head(repo)
    assert new_sha != base_sha
    assert git(repo, "rev-parse", "HEAD^").strip() == base_sha
    assert committed_files(repo) == [ORDER]
    # The committed file is the file on disk, rewritten.
    on_disk = (repo / ORDER).read_bytes()
    assert file_at(repo, "HEAD", ORDER) == on_disk
    text = on_disk.decode()
    assert f'if workflow.patched("{PATCH_ID}"):' in text
    assert "check_fraud, order_id" in text
    assert "Versioning History:" in text
    assert f"- {TODAY} introduced {PATCH_ID}: run" in text
    # Everything else as it was: dirty stays dirty, staged stays staged.
    assert status(repo).splitlines() == sorted([
        " M notes.txt",
        "M  staged.txt",
        " M tools/prices.py",
    ], key=lambda line: line[3:])
    assert git(repo, "diff", "--cached", "--", "staged.txt") == staged_before
    assert {p: (repo / p).read_bytes() for p in dirty_before} == dirty_before
    assert file_at(repo, "HEAD", "staged.txt") == b"one\n"


def test_commit_message_subject_body_and_trailers(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr

    message = git(repo, "log", "-1", "--format=%B")
    lines = message.splitlines()
    assert lines[0] == f"patchmod: introduce {PATCH_ID}"
    assert lines[1] == ""
    assert any(line.strip().startswith(f"{ORDER}:") and "OrderWorkflow.run add" in line for line in lines)
    assert trailers(repo) == [("Patch-Id", PATCH_ID), ("Patch-Stage", "introduced")]
    # The trailers are a paragraph of their own.
    assert message.rstrip("\n").endswith(f"\n\nPatch-Id: {PATCH_ID}\nPatch-Stage: introduced")
    assert f"committed {head(repo)[:12]}" in result.stdout
    assert f"{ORDER}:" in result.stdout


def test_rewritten_file_that_was_staged_is_clean_after_the_commit(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    git(repo, "add", ORDER)
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    assert status(repo) == ""


def test_file_mode_is_kept(repo: Path) -> None:
    os.chmod(repo / ORDER, 0o755)
    commit_all(repo, "make it executable")
    write(repo, ORDER, EDITED)
    assert run("-C", repo, "introduce", PATCH_ID).exit_code == 0
    assert stat.S_IMODE(os.stat(repo / ORDER).st_mode) == 0o755
    assert git(repo, "ls-tree", "HEAD", ORDER).split()[0] == "100755"


def test_a_second_run_refuses_the_now_known_id(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    assert run("-C", repo, "introduce", PATCH_ID).exit_code == 0
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID)
    _assert_clean_failure(result)
    assert snapshot(repo) == before


# --- --dry-run, --no-commit, -C, --base -------------------------------------


def test_dry_run_prints_a_diff_and_writes_nothing(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"--- a/{ORDER}\n+++ b/{ORDER}\n" in result.stdout
    assert f'+        if workflow.patched("{PATCH_ID}"):' in result.stdout
    assert f"+    - {TODAY} introduced {PATCH_ID}: run" in result.stdout
    assert snapshot(repo) == before


def test_no_commit_writes_and_leaves_the_change_uncommitted(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    base_sha = head(repo)
    result = run("-C", repo, "introduce", PATCH_ID, "--no-commit")
    assert result.exit_code == 0, result.stderr
    assert head(repo) == base_sha
    assert f'if workflow.patched("{PATCH_ID}"):' in (repo / ORDER).read_text()
    assert status(repo) == f" M {ORDER}\n"
    assert "not committed" in result.stdout


def test_dash_C_runs_in_another_folder_with_paths_relative_to_it(repo: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    write(repo, ORDER, EDITED)
    result = run("-C", repo / "workflows", "introduce", PATCH_ID, "order.py")
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER]


def test_without_dash_C_the_current_folder_is_used(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, ORDER, EDITED)
    monkeypatch.chdir(repo / "workflows")
    result = run("introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER]


def test_explicit_path_limits_the_rewrite(repo: Path) -> None:
    other = "workflows/other.py"
    write(repo, other, BASE.replace("OrderWorkflow", "OtherWorkflow"))
    commit_all(repo, "another workflow")
    write(repo, ORDER, EDITED)
    write(repo, other, EDITED.replace("OrderWorkflow", "OtherWorkflow"))
    result = run("-C", repo, "introduce", PATCH_ID, other)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [other]
    assert status(repo) == f" M {ORDER}\n"


def test_base_other_than_HEAD(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    edited_sha = commit_all(repo, "add a fraud check (unpatched)")
    result = run("-C", repo, "introduce", PATCH_ID, "--base", "HEAD~1")
    assert result.exit_code == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == edited_sha
    assert committed_files(repo) == [ORDER]
    assert f'if workflow.patched("{PATCH_ID}"):' in file_at(repo, "HEAD", ORDER).decode()


# --- --json ------------------------------------------------------------------

JSON_KEYS = {"command", "patch_id", "files", "regions", "commit", "branch", "warnings", "notes", "nothing_to_do",
             "message", "pull_request", "errors"}
REGION_KEYS = {"file", "class", "method", "start_line", "end_line", "kind"}


def test_json_object(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    result = run("-C", repo, "introduce", PATCH_ID, "--json")
    assert result.exit_code == 0, result.stderr
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["command"] == "introduce"
    assert obj["patch_id"] == PATCH_ID
    assert obj["files"] == [ORDER]
    assert obj["commit"] == head(repo)
    assert obj["nothing_to_do"] is False
    assert obj["errors"] == []
    assert isinstance(obj["message"], str) and obj["message"]
    assert obj["regions"], obj
    for region in obj["regions"]:
        assert set(region) == REGION_KEYS
        assert region["file"] == ORDER
        assert region["kind"] in {"add", "remove", "replace", "chain"}
        assert 1 <= region["start_line"] <= region["end_line"]
    assert {(r["class"], r["method"], r["kind"]) for r in obj["regions"]} == {("OrderWorkflow", "run", "add")}
    lines = (repo / ORDER).read_text().splitlines()
    first = obj["regions"][0]
    assert lines[first["start_line"] - 1].strip() == f'if workflow.patched("{PATCH_ID}"):'
    for warning in obj["warnings"]:
        assert set(warning) == {"file", "line", "message"}


def test_json_without_commit_and_when_nothing_to_do(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    obj = json.loads(run("-C", repo, "introduce", PATCH_ID, "--json", "--dry-run").stdout)
    assert set(obj) == JSON_KEYS and obj["commit"] is None and obj["files"] == [ORDER]
    obj = json.loads(run("-C", repo, "introduce", PATCH_ID, "--json", "--no-commit").stdout)
    assert set(obj) == JSON_KEYS and obj["commit"] is None and obj["files"] == [ORDER]
    git(repo, "checkout", "--", ORDER)
    obj = json.loads(run("-C", repo, "introduce", PATCH_ID, "--json").stdout)
    assert set(obj) == JSON_KEYS
    assert obj["nothing_to_do"] is True and obj["commit"] is None
    assert obj["files"] == [] and obj["regions"] == []
    assert obj["message"].startswith("nothing to do")


def test_json_on_refusal_carries_the_errors(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    result = run("-C", repo, "introduce", "bad id", "--json")
    _assert_clean_failure(result)
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["commit"] is None and obj["errors"]
    assert "whitespace" in obj["errors"][0]["message"]
    assert "whitespace" in result.stderr


# --- nothing to do -----------------------------------------------------------


def test_comment_and_log_changes_need_no_patch(repo: Path) -> None:
    write(repo, ORDER, COSMETIC)
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("nothing to do:")
    assert snapshot(repo) == before


def test_no_changed_python_file_is_nothing_to_do(repo: Path) -> None:
    write(repo, "notes.txt", "changed\n")
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("nothing to do:")
    assert snapshot(repo) == before


def test_a_new_module_is_skipped(repo: Path) -> None:
    write(repo, "workflows/new.py", EDITED.replace("OrderWorkflow", "NewWorkflow"))
    git(repo, "add", "workflows/new.py")
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("nothing to do:")
    assert "workflows/new.py" in result.stdout
    assert snapshot(repo) == before


# --- warnings ----------------------------------------------------------------


def test_vague_id_is_a_warning(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    result = run("-C", repo, "introduce", "fix-v1")
    assert result.exit_code == 0, result.stderr
    assert "warning: patch id 'fix-v1'" in result.stderr
    assert trailers(repo)[0] == ("Patch-Id", "fix-v1")


def test_loop_warning_names_file_and_line(repo: Path) -> None:
    base = BASE.replace(
        '''        self._status = self._describe("charged")
''',
        '''        self._status = self._describe("charged")
        for attempt in range(3):
            await workflow.sleep(timedelta(seconds=1))
''',
    )
    write(repo, ORDER, base)
    commit_all(repo, "retries")
    write(repo, ORDER, base.replace("seconds=1))", "seconds=1))\n            await workflow.sleep(timedelta(seconds=2))"))
    result = run("-C", repo, "introduce", PATCH_ID)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert warnings and all(line.startswith(f"{ORDER}:") for line in warnings)
    line = int(warnings[0].split(":")[1])
    assert (repo / ORDER).read_text().splitlines()[line - 1].strip() == f'if workflow.patched("{PATCH_ID}"):'


def test_max_active_patches_from_pyproject(repo: Path) -> None:
    write(repo, "pyproject.toml", "[tool.patchmod]\nmax-active-patches = 1\n")
    write(repo, ORDER, BASE.replace(
        '''        self._status = self._describe("charged")
''',
        '''        if workflow.patched("add-receipt-v1"):
            await workflow.sleep(timedelta(seconds=1))
        self._status = self._describe("charged")
''',
    ))
    commit_all(repo, "a patch already")
    write(repo, ORDER, (repo / ORDER).read_text().replace(
        'return await workflow.execute_activity(\n            ship_order',
        'await workflow.sleep(timedelta(seconds=5))\n        return await workflow.execute_activity(\n            ship_order',
    ))
    result = run("-C", repo, "introduce", PATCH_ID, "--json")
    assert result.exit_code == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["commit"]
    assert [w for w in obj["warnings"] if w["file"] == ORDER], obj["warnings"]


# --- refusals: exit 2, nothing written, nothing committed ---------------------


def _refuses(repo: Path, *args: str, says: str) -> None:
    before = snapshot(repo)
    result = run(*args)
    _assert_clean_failure(result)
    assert says in result.stderr, result.stderr
    assert snapshot(repo) == before


def test_refuses_outside_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write(plain, "order.py", EDITED)
    before = {p.name: p.read_bytes() for p in plain.iterdir()}
    result = run("-C", plain, "introduce", PATCH_ID)
    _assert_clean_failure(result)
    assert "not a git repository" in result.stderr
    assert {p.name: p.read_bytes() for p in plain.iterdir()} == before


def test_refuses_a_missing_dash_C_folder(tmp_path: Path) -> None:
    result = run("-C", tmp_path / "missing", "introduce", PATCH_ID)
    _assert_clean_failure(result)


@pytest.mark.parametrize("bad_id", ["", "has space", 'say"hi"-v1', "back\\slash-v1", "x" * 101, "new\nline-v1",
                                    "colon:v1"])
def test_refuses_an_invalid_id(repo: Path, bad_id: str) -> None:
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", bad_id, says="patch id")


def test_refuses_an_unknown_base(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, "--base", "no-such-rev", says="no-such-rev: unknown revision")


def test_refuses_an_id_known_from_code(repo: Path) -> None:
    write(repo, "workflows/refund.py", f'from temporalio import workflow\n\n\nasync def f():\n'
                                       f"    if workflow.patched('{PATCH_ID}'):\n        pass\n")
    commit_all(repo, "refund")
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says="workflows/refund.py:5:")


@pytest.mark.parametrize("problem", ["refused edit", "missing path"])
def test_a_known_id_is_the_one_problem_reported(repo: Path, problem: str) -> None:
    # The whole-tree search for the id runs beside the rewrite; its answer
    # still decides first: the user is told to pick a new id, not to fix an
    # edit or a path that a new id would meet anyway.
    write(repo, "workflows/refund.py", f'from temporalio import workflow\n\n\nasync def f():\n'
                                       f"    if workflow.patched('{PATCH_ID}'):\n        pass\n")
    commit_all(repo, "refund")
    write(repo, ORDER, QUERY_EDIT if problem == "refused edit" else EDITED)
    extra = ["workflows/no_such.py"] if problem == "missing path" else []
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID, *extra)
    _assert_clean_failure(result)
    assert result.stderr.splitlines() == [
        f"workflows/refund.py:5: patch id {PATCH_ID!r} is already in the code; "
        "an id is used once, ever: pick a new one"], result.stderr
    assert snapshot(repo) == before


def test_refuses_an_id_known_from_a_deprecate_patch_call(repo: Path) -> None:
    write(repo, "workflows/ré:fund.py", f'from temporalio import workflow\n\n\ndef f():\n'
                                       f'    workflow.deprecate_patch("{PATCH_ID}")\n')
    commit_all(repo, "refund")
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says="workflows/ré:fund.py:5:")


def test_refuses_an_id_known_from_a_changelog(repo: Path) -> None:
    # The patch is long gone from the code; its history line remains.
    with_history = BASE.replace(
        '    """Charges an order and ships it."""\n',
        '    """Charges an order and ships it.\n\n    Versioning History:\n'
        f'    - 2025-01-02 introduced {PATCH_ID}: run\n'
        f'    - 2025-03-04 deprecated {PATCH_ID}\n'
        f'    - 2025-06-07 removed {PATCH_ID}\n    """\n',
    )
    write(repo, ORDER, with_history)
    commit_all(repo, "history")
    write(repo, ORDER, with_history.replace("seconds=10", "seconds=20"))
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{ORDER}:28:")


def test_refuses_an_id_known_from_a_trailer_on_any_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "old-work")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"patchmod: introduce {PATCH_ID}\n\nPatch-Id: {PATCH_ID}\n"
                                                   "Patch-Stage: introduced")
    trailer_sha = head(repo)
    git(repo, "checkout", "-q", "main")
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"commit {trailer_sha[:12]}")


def test_a_similar_id_in_a_trailer_is_not_a_match(repo: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", f"x\n\nPatch-Id: {PATCH_ID}0\n")
    write(repo, ORDER, EDITED)
    assert run("-C", repo, "introduce", PATCH_ID).exit_code == 0


def test_refuses_a_syntax_error_in_the_edited_file(repo: Path) -> None:
    write(repo, ORDER, EDITED.replace("if not safe:", "if not safe"))
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{ORDER}:")


def test_refuses_a_syntax_error_in_the_base_file(repo: Path) -> None:
    broken = BASE.replace("def _describe(self, what: str) -> str:", "def _describe(self, what: str) -> str")
    write(repo, ORDER, broken)
    commit_all(repo, "broken")
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{ORDER}@HEAD:")


def test_refuses_a_patch_in_code_a_query_handler_runs(repo: Path) -> None:
    write(repo, ORDER, QUERY_EDIT)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{ORDER}:")


def test_one_refused_file_stops_every_file(repo: Path) -> None:
    other = "workflows/other.py"
    write(repo, other, BASE.replace("OrderWorkflow", "OtherWorkflow"))
    commit_all(repo, "another workflow")
    write(repo, ORDER, EDITED)  # fine on its own
    write(repo, other, QUERY_EDIT.replace("OrderWorkflow", "OtherWorkflow"))  # refused
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{other}:")


def test_refuses_a_file_that_is_not_utf8(repo: Path) -> None:
    write(repo, ORDER, EDITED.encode() + b"# caf\xe9\n")
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says=f"{ORDER}: not valid UTF-8")


def test_refuses_a_missing_path_and_one_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, "workflows/nope.py", says="workflows/nope.py: no such file")
    outside = write(tmp_path, "outside.py", "x = 1\n")
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, str(outside), says="outside the repository")


def test_refuses_a_bad_config(repo: Path) -> None:
    write(repo, "pyproject.toml", "[tool.patchmod]\nmax-active-patches = 0\n")
    commit_all(repo, "config")
    write(repo, ORDER, EDITED)
    _refuses(repo, "-C", repo, "introduce", PATCH_ID, says="max-active-patches")


def test_refuses_in_a_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    write(empty, "order.py", EDITED)
    result = run("-C", empty, "introduce", PATCH_ID)
    _assert_clean_failure(result)
    assert "no commit" in result.stderr
    assert (empty / "order.py").read_text() == EDITED


def test_usage_errors_exit_2(repo: Path) -> None:
    assert run("-C", repo, "introduce").exit_code == 2
    assert run("-C", repo, "introduce", PATCH_ID, "--no-such-option").exit_code == 2


# --- the Python API ------------------------------------------------------------


def test_python_api(repo: Path) -> None:
    from patchmod.cli.api import PatchmodError, introduce

    write(repo, ORDER, EDITED)
    dry = introduce(repo, PATCH_ID, dry_run=True)
    assert dry["commit"] is None and dry["files"] == [ORDER]
    assert f'+        if workflow.patched("{PATCH_ID}"):' in dry.diff
    assert status(repo) == f" M {ORDER}\n"

    done = introduce(str(repo), PATCH_ID, paths=[ORDER], base="HEAD", commit=True)
    assert set(dict(done)) == JSON_KEYS
    assert done["commit"] == head(repo)

    with pytest.raises(PatchmodError) as refused:
        introduce(repo, PATCH_ID)
    assert "already" in str(refused.value)


def test_help_and_version() -> None:
    result = run("--help")
    assert result.exit_code == 0 and "introduce" in result.stdout
    result = run("introduce", "--help")
    for option in ("--base", "--no-commit", "--dry-run", "--json"):
        assert option in result.stdout
    result = run("--version")
    assert result.exit_code == 0 and "patchmod" in result.stdout


def test_refuses_while_another_git_process_holds_the_index(repo: Path) -> None:
    write(repo, ORDER, EDITED)
    (repo / ".git" / "index.lock").write_text("")
    before = snapshot(repo)
    result = run("-C", repo, "introduce", PATCH_ID)
    _assert_clean_failure(result)
    assert "index.lock" in result.stderr
    assert snapshot(repo) == before


def test_given_files_that_did_not_change_are_nothing_to_do(repo: Path) -> None:
    write(repo, "notes.txt", "dirty\n")
    result = run("-C", repo, "introduce", PATCH_ID, ORDER)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "nothing to do: no given file differs from HEAD\n"


def test_known_id_errors_in_json_name_the_place(repo: Path) -> None:
    write(repo, "workflows/refund.py", f'from temporalio import workflow\n\n\ndef f():\n'
                                       f'    workflow.deprecate_patch("{PATCH_ID}")\n')
    commit_all(repo, "refund")
    write(repo, ORDER, EDITED)
    result = run("-C", repo, "introduce", PATCH_ID, "--json")
    _assert_clean_failure(result)
    errors = json.loads(result.stdout)["errors"]
    assert {(e["file"], e["line"]) for e in errors} == {("workflows/refund.py", 5)}


# --- the demo ------------------------------------------------------------------------


def test_make_demo_script_runs(tmp_path: Path) -> None:
    """`make demo` runs testdata/demo/run_demo.sh with the venv's patchmod first on PATH."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "testdata" / "demo" / "run_demo.sh"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TMPDIR": str(tmp_path)}
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "patchmod: introduce add-fraud-check-v1" in done.stdout
    assert 'if workflow.patched("add-fraud-check-v1"):' in done.stdout
    assert "Patch-Stage: introduced" in done.stdout
    # The rest of the lifecycle: remove refused too early, deprecate, remove,
    # and the retired id refused by introduce.
    assert "workflows/order.py:49: patched('add-fraud-check-v1') is still here" in done.stderr
    assert '+        workflow.deprecate_patch("add-fraud-check-v1")' in done.stdout
    assert "Patch-Stage: deprecated" in done.stdout
    assert '-        workflow.deprecate_patch("add-fraud-check-v1")' in done.stdout
    assert "Patch-Stage: removed" in done.stdout
    assert "is in its Patch-Id trailer; an id is used once, ever" in done.stderr
    assert list(tmp_path.iterdir()) == []  # the demo cleans up after itself


def test_help_does_not_import_the_heavy_libraries() -> None:
    """`patchmod --help` stays fast: git, libcst and temporalio load in the commands."""
    import subprocess
    import sys

    code = ("import sys, patchmod.cli.main; "
            "print(sorted(m for m in ('git', 'libcst', 'temporalio') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
