"""`patchmod deprecate` on real git repositories: what it commits, prints and
refuses. The rewrite of one file is pinned by the fixtures in
testdata/deprecate; here the files on disk are compared with what the
codemod makes of them, and the tests are about the command around it."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

import pytest
from gitrepo import (
    GIT_ENV,
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
from patchmod.cli import api
from patchmod.codemods.deprecate import deprecate_patches
from retire_repo import (
    FRAUD,
    ORDER,
    PATCHED_SITES,
    PAYMENT,
    PRICES,
    REFUND,
    assert_refused,
    make_retire_repo,
    many_sources,
    patchmod_on_a_terminal,
    run,
    sources,
)

TODAY = datetime.date.today()
JSON_KEYS = {"command", "patch_ids", "files", "sites", "commit", "branch", "warnings", "nothing_to_do", "message",
             "readiness", "pull_request", "errors"}
SITE_KEYS = {"file", "line", "class", "method", "form", "patch_id"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_retire_repo(tmp_path / "repo")


def deprecated(path: str, ids: list[str], date: datetime.date = TODAY) -> str:
    """What the codemod makes of the committed sample file."""
    return deprecate_patches(sources()[path], ids, date=date).code


# --- the commit ------------------------------------------------------------------


def test_commit_holds_the_rewritten_files_with_subject_body_and_trailers(repo: Path) -> None:
    base = head(repo)
    result = run("-C", repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr

    assert git(repo, "rev-parse", "HEAD^").strip() == base
    assert committed_files(repo) == [ORDER, REFUND]
    for path in (ORDER, REFUND):
        on_disk = (repo / path).read_text()
        assert on_disk == deprecated(path, [FRAUD])
        assert file_at(repo, "HEAD", path).decode() == on_disk
        assert f'workflow.patched("{FRAUD}")' not in on_disk
        assert f'workflow.deprecate_patch("{FRAUD}")' in on_disk
    # The other id is untouched.
    assert f'if workflow.patched("{PAYMENT}"):' in (repo / ORDER).read_text()
    assert status(repo) == ""

    message = git(repo, "log", "-1", "--format=%B")
    lines = message.splitlines()
    assert lines[0] == f"patchmod: deprecate {FRAUD}"
    assert lines[1] == ""
    for path, line, cls, form, patch_id in PATCHED_SITES:
        if patch_id == FRAUD:
            assert f"  {path}:{line} {cls}.run {form}" in lines
    assert f"{ORDER}:19" not in message  # the PAYMENT site
    assert trailers(repo) == [("Patch-Id", FRAUD), ("Patch-Stage", "deprecated")]
    assert message.rstrip("\n").endswith(f"\n\nPatch-Id: {FRAUD}\nPatch-Stage: deprecated")

    assert result.stdout.splitlines()[0] == (
        f"deprecated {FRAUD} at 3 sites in 2 files; committed {head(repo)[:12]}")
    assert f"  {REFUND}:23 ChargebackWorkflow.run expression" in result.stdout.splitlines()


def test_an_id_in_several_files_and_classes_gets_a_history_line_in_each_class(repo: Path) -> None:
    result = run("-C", repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    line = f"- {TODAY.isoformat()} deprecated {FRAUD}"
    order, refund = (repo / ORDER).read_text(), (repo / REFUND).read_text()
    assert order.count(line) == 1
    assert refund.count(line) == 2  # RefundWorkflow and ChargebackWorkflow
    assert 'note = "checked"\n' in refund  # the conditional expression folded


def test_several_ids_in_one_call_make_one_commit(repo: Path) -> None:
    base = head(repo)
    result = run("-C", repo, "deprecate", PAYMENT, FRAUD)
    assert result.exit_code == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == base
    assert committed_files(repo) == [ORDER, REFUND]
    assert git(repo, "log", "-1", "--format=%s").strip() == f"patchmod: deprecate {PAYMENT} {FRAUD}"
    assert trailers(repo) == [("Patch-Id", PAYMENT), ("Patch-Id", FRAUD), ("Patch-Stage", "deprecated")]
    order = (repo / ORDER).read_text()
    assert order == deprecated(ORDER, [PAYMENT, FRAUD])
    # The import only the dropped else-branch used is gone.
    assert "charge_payment," not in order and "charge_payment_v2" in order
    message = git(repo, "log", "-1", "--format=%B")
    assert f"  {ORDER}:19 OrderWorkflow.run if" in message.splitlines()


def test_unrelated_dirty_staged_and_untracked_files_stay_as_they_were(repo: Path) -> None:
    write(repo, "notes.txt", f"todo: retire {FRAUD}\nand more\n")
    write(repo, "staged.txt", "two\n")
    git(repo, "add", "staged.txt")
    write(repo, PRICES, "def total(prices):\n    return sum(prices) + 1\n")
    untracked = f'from temporalio import workflow\n\nif workflow.patched("{FRAUD}"):\n    pass\n'
    write(repo, "workflows/scratch.py", untracked)
    staged_diff = git(repo, "diff", "--cached")

    result = run("-C", repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER, REFUND]
    assert status(repo).splitlines() == [" M notes.txt", "M  staged.txt", " M tools/prices.py",
                                         "?? workflows/scratch.py"]
    assert git(repo, "diff", "--cached") == staged_diff
    assert (repo / "workflows/scratch.py").read_text() == untracked  # untracked: not a target
    assert file_at(repo, "HEAD", "staged.txt") == b"one\n"


# --- refusals: nothing written -------------------------------------------------------


@pytest.mark.parametrize("how", ["unstaged", "staged", "staged-then-reverted"])
def test_a_target_with_uncommitted_changes_refuses_the_whole_command(repo: Path, how: str) -> None:
    original = (repo / REFUND).read_text()
    write(repo, REFUND, original.replace('"refund"', '"refund-v2"'))
    if how != "unstaged":
        git(repo, "add", REFUND)
    if how == "staged-then-reverted":
        write(repo, REFUND, original)
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD)
    assert_refused(result)
    assert f"{REFUND}: has uncommitted changes" in result.stderr
    assert ORDER not in result.stderr
    assert snapshot(repo) == before


def test_a_refusal_in_one_file_means_no_file_is_written(repo: Path) -> None:
    # The await completes before patched() runs: no place for deprecate_patch.
    write(repo, "workflows/audit.py", f'''\
from temporalio import workflow


@workflow.defn
class AuditWorkflow:
    @workflow.run
    async def run(self) -> bool:
        return await workflow.execute_activity("audit") and workflow.patched("{FRAUD}")
''')
    write(repo, "workflows/broken.py", f'from temporalio import workflow\nworkflow.patched("{FRAUD}"\n')
    commit_all(repo, "audit and a broken module")
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD)
    assert_refused(result)
    lines = result.stderr.splitlines()
    assert any(line.startswith("workflows/audit.py:8: ") and "await" in line for line in lines), lines
    assert any(line.startswith("workflows/broken.py:2: syntax error") for line in lines), lines
    assert snapshot(repo) == before


def test_json_on_refusal_carries_every_error(repo: Path) -> None:
    write(repo, ORDER, (repo / ORDER).read_text() + "\n# wip\n")
    result = run("-C", repo, "deprecate", FRAUD, "--json")
    assert_refused(result)
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["commit"] is None and obj["patch_ids"] == [FRAUD]
    assert obj["errors"] == [{"file": ORDER, "line": None, "message": obj["errors"][0]["message"]}]
    assert "uncommitted" in obj["errors"][0]["message"]


@pytest.mark.parametrize("args, why", [
    (["bad id"], "whitespace"),
    ([FRAUD, "--path", "nowhere"], "nowhere: no such file or directory"),
    ([FRAUD, "--path", "untracked.py"], "untracked.py: not tracked by git"),
])
def test_bad_input_is_refused(repo: Path, args: list[str], why: str) -> None:
    write(repo, "untracked.py", "x = 1\n")
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", *args)
    assert_refused(result)
    assert why in result.stderr
    assert snapshot(repo) == before


def test_no_id_is_a_usage_error(repo: Path) -> None:
    assert run("-C", repo, "deprecate").exit_code == 2


def test_refuses_while_another_git_process_holds_the_index(repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("")
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD)
    assert_refused(result)
    assert "index.lock" in result.stderr
    assert snapshot(repo) == before


# --- --dry-run, --no-commit, -C, --path ----------------------------------------------------


def test_dry_run_prints_a_diff_and_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"--- a/{ORDER}\n+++ b/{ORDER}\n" in result.stdout
    assert f"--- a/{REFUND}\n+++ b/{REFUND}\n" in result.stdout
    assert f'-        if workflow.patched("{FRAUD}"):' in result.stdout
    assert f'+        workflow.deprecate_patch("{FRAUD}")' in result.stdout
    assert "dry run: would have deprecated" in result.stderr
    assert snapshot(repo) == before


def test_no_commit_writes_and_commits_nothing(repo: Path) -> None:
    base = head(repo)
    result = run("-C", repo, "deprecate", FRAUD, "--no-commit")
    assert result.exit_code == 0, result.stderr
    assert head(repo) == base
    assert status(repo).splitlines() == [f" M {ORDER}", f" M {REFUND}"]
    assert (repo / ORDER).read_text() == deprecated(ORDER, [FRAUD])
    assert "not committed" in result.stdout


def test_dash_C_and_path_relative_to_it(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("-C", repo / "workflows", "deprecate", FRAUD, "--path", "refund.py")
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [REFUND]
    assert f'if workflow.patched("{FRAUD}"):' in (repo / ORDER).read_text()


def test_without_dash_C_the_current_folder_is_used(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "workflows")
    result = run("deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER, REFUND]


def test_path_restricts_the_targets(repo: Path) -> None:
    write(repo, "billing/invoice.py", sources()[REFUND].replace("Refund", "Invoice").replace("Chargeback", "Dunning"))
    commit_all(repo, "billing")
    result = run("-C", repo, "deprecate", FRAUD, "--path", "billing", "--path", ORDER)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == ["billing/invoice.py", ORDER]
    assert f'workflow.patched("{FRAUD}")' in (repo / REFUND).read_text()


def test_a_dirty_file_outside_the_paths_does_not_block(repo: Path) -> None:
    write(repo, REFUND, (repo / REFUND).read_text() + "\n# wip\n")
    result = run("-C", repo, "deprecate", FRAUD, "--path", ORDER)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER]
    assert status(repo) == f" M {REFUND}\n"


# --- --json ---------------------------------------------------------------------------------


def test_json_object(repo: Path) -> None:
    result = run("-C", repo, "deprecate", FRAUD, PAYMENT, "--json")
    assert result.exit_code == 0, result.stderr
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["command"] == "deprecate"
    assert obj["patch_ids"] == [FRAUD, PAYMENT]
    assert obj["files"] == [ORDER, REFUND]
    assert obj["commit"] == head(repo)
    assert obj["nothing_to_do"] is False and obj["errors"] == [] and obj["warnings"] == []
    assert obj["message"].startswith(f"deprecated {FRAUD} {PAYMENT} at 4 sites in 2 files; committed")
    for site in obj["sites"]:
        assert set(site) == SITE_KEYS
    got = [(s["file"], s["line"], s["class"], s["form"], s["patch_id"]) for s in obj["sites"]]
    assert got == PATCHED_SITES
    assert {s["method"] for s in obj["sites"]} == {"run"}
    # `line` counts in the file before the rewrite, as committed in HEAD^.
    before = file_at(repo, "HEAD^", ORDER).decode().splitlines()
    assert f'workflow.patched("{PAYMENT}")' in before[obj["sites"][0]["line"] - 1]


def test_json_without_commit_and_when_nothing_to_do(repo: Path) -> None:
    obj = json.loads(run("-C", repo, "deprecate", FRAUD, "--json", "--dry-run").stdout)
    assert set(obj) == JSON_KEYS and obj["commit"] is None and obj["files"] == [ORDER, REFUND]
    obj = json.loads(run("-C", repo, "deprecate", FRAUD, "--json", "--no-commit").stdout)
    assert set(obj) == JSON_KEYS and obj["commit"] is None and obj["files"] == [ORDER, REFUND]
    obj = json.loads(run("-C", repo, "deprecate", "unknown-thing-v1", "--json").stdout)
    assert set(obj) == JSON_KEYS
    assert obj["nothing_to_do"] is True and obj["commit"] is None and obj["files"] == [] and obj["sites"] == []
    assert obj["message"] == "nothing to do: unknown-thing-v1 appears in no file"


# --- nothing to do ------------------------------------------------------------------------


def test_an_id_found_nowhere_is_nothing_to_do(repo: Path) -> None:
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", "unknown-thing-v1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "nothing to do: unknown-thing-v1 appears in no file\n"
    assert snapshot(repo) == before


def test_a_second_run_is_nothing_to_do(repo: Path) -> None:
    assert run("-C", repo, "deprecate", FRAUD).exit_code == 0
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"nothing to do: {FRAUD} has no workflow.patched() call left")
    assert snapshot(repo) == before


def test_an_id_only_in_non_python_files_or_comments_is_nothing_to_do(repo: Path) -> None:
    # notes.txt names FRAUD (and is no target); a Python comment is no site.
    write(repo, PRICES, f"# see {FRAUD}\n" + sources()[PRICES])
    commit_all(repo, "comment")
    result = run("-C", repo, "deprecate", FRAUD, "--path", "tools")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"nothing to do: {FRAUD} has no workflow.patched() call left under tools "
                             "(already deprecated?)\n")
    result = run("-C", repo, "deprecate", FRAUD, "--path", "notes.txt")
    assert_refused(result)
    assert "notes.txt: not a Python file" in result.stderr


def test_an_unknown_id_next_to_a_known_one_is_a_warning(repo: Path) -> None:
    result = run("-C", repo, "deprecate", FRAUD, "unknown-thing-v1")
    assert result.exit_code == 0, result.stderr
    assert "warning: unknown-thing-v1 appears in no file" in result.stderr
    assert trailers(repo) == [("Patch-Id", FRAUD), ("Patch-Stage", "deprecated")]


# --- the Python API ---------------------------------------------------------------------------


def test_api_deprecate_with_a_fixed_date(repo: Path) -> None:
    report = api.deprecate(repo, FRAUD, date=datetime.date(2031, 2, 3))
    assert report["commit"] == head(repo)
    assert dict(report)["files"] == [ORDER, REFUND]
    assert "- 2031-02-03 deprecated add-fraud-check-v1" in (repo / ORDER).read_text()
    assert report.diff.startswith(f"--- a/{ORDER}")


def test_api_raises_patchmod_error_and_writes_nothing(repo: Path) -> None:
    write(repo, ORDER, (repo / ORDER).read_text() + "# wip\n")
    before = snapshot(repo)
    with pytest.raises(api.PatchmodError) as caught:
        api.deprecate(repo, [FRAUD])
    assert caught.value.lines == [f"{ORDER}: has uncommitted changes; commit or stash them first "
                                  "(deprecate rewrites and commits whole files)"]
    assert snapshot(repo) == before


# --- many files: the parallel path and the progress bar -------------------------------------------


N_MANY = 40  # files that hold the id (and as many that do not)
N_SOME = 12  # just over the parallel / progress bar threshold


@pytest.fixture
def many(tmp_path: Path) -> tuple[Path, Path]:
    first = make_repo(tmp_path / "serial", many_sources(N_MANY))
    second = tmp_path / "parallel"
    shutil.copytree(first, second)
    return first, second


@pytest.fixture
def some(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "some", many_sources(N_SOME))


def _tree(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD^{tree}").strip()


def test_parallel_and_serial_rewrites_are_the_same(many: tuple[Path, Path]) -> None:
    serial, parallel = many
    date = datetime.date(2030, 1, 1)
    counted: list[int] = []

    class Recorder:
        def __init__(self, total: int) -> None:
            counted.append(total)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def update(self, n: int) -> None:
            counted.append(n)

    one = api.deprecate(serial, FRAUD, jobs=1, date=date)
    two = api.deprecate(parallel, FRAUD, jobs=2, date=date, progress=Recorder)
    assert counted == [N_MANY] + [1] * N_MANY  # only files that spell the id are parsed
    assert one["files"] == two["files"] == [f"flows/flow_{i:03d}.py" for i in range(N_MANY)]
    assert one["sites"] == two["sites"] and len(one["sites"]) == N_MANY
    assert one.diff == two.diff
    assert _tree(serial) == _tree(parallel)
    assert git(serial, "log", "-1", "--format=%B") == git(parallel, "log", "-1", "--format=%B")
    text = (parallel / "flows/flow_007.py").read_text()
    assert f'workflow.deprecate_patch("{FRAUD}")' in text and "old_step_7" not in text
    assert text == deprecate_patches(many_sources(N_MANY)["flows/flow_007.py"], [FRAUD], date=date).code


def test_parallel_refusal_still_writes_nothing(some: Path) -> None:
    repo = some
    write(repo, "flows/flow_011.py", "from temporalio import workflow\n"
                                     f'x = workflow.patched("{FRAUD}" +\n')
    commit_all(repo, "broken")
    before = snapshot(repo)
    with pytest.raises(api.PatchmodError) as caught:
        api.deprecate(repo, FRAUD, jobs=2)
    assert [line.split(":")[0] for line in caught.value.lines] == ["flows/flow_011.py"]
    assert snapshot(repo) == before


def test_progress_bar_on_a_terminal(many: tuple[Path, Path]) -> None:
    _, repo = many
    env = {**os.environ, **GIT_ENV, "COLUMNS": "100"}
    code, stdout, terminal = patchmod_on_a_terminal(["-C", str(repo), "deprecate", FRAUD], env, repo)
    assert code == 0, (stdout, terminal)
    assert f"deprecate: {N_MANY} files" in terminal
    assert f"{N_MANY}/{N_MANY}" in terminal
    assert stdout.startswith(f"deprecated {FRAUD} at {N_MANY} sites in {N_MANY} files; committed")


def test_no_progress_bar_when_stderr_is_not_a_terminal(some: Path) -> None:
    repo = some
    result = run("-C", repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
