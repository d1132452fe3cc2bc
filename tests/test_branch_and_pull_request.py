"""`--branch NAME` on introduce, deprecate and remove, and the pull request
their --json carries, on real git repositories: the commit lands on the new
branch, the branch the user was on stays where it was, an existing branch
(or a command that would not commit) is refused with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import committed_files, git, head, make_repo, snapshot, status, write
from retire_repo import FRAUD, ORDER, PAYMENT, REFUND, assert_refused, make_retire_repo, run
from test_cli_introduce import BASE, EDITED

INTRODUCED = "add-fraud-check-v1"


def branch_of(repo: Path) -> str:
    return git(repo, "symbolic-ref", "--short", "HEAD").strip()


def sha(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", rev).strip()


def json_out(result) -> dict:
    assert "Traceback" not in result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def edited_repo(tmp_path: Path) -> Path:
    """A workflow edited in the working tree, ready for introduce, and some
    unrelated work in progress."""
    repo = make_repo(tmp_path / "repo", {ORDER: BASE, "notes.txt": "todo\n"})
    write(repo, ORDER, EDITED)
    write(repo, "notes.txt", "todo: more\n")
    return repo


# --- introduce ---------------------------------------------------------------------


def test_introduce_on_a_new_branch_leaves_the_old_one_alone(edited_repo: Path) -> None:
    main_before = sha(edited_repo, "main")
    result = run("-C", edited_repo, "introduce", INTRODUCED, "--branch", "patchmod/fraud-check", "--json")
    assert result.exit_code == 0, result.stderr
    obj = json_out(result)

    assert branch_of(edited_repo) == "patchmod/fraud-check"
    assert sha(edited_repo, "main") == main_before  # untouched
    assert sha(edited_repo, "patchmod/fraud-check") == obj["commit"] == head(edited_repo)
    assert sha(edited_repo, "patchmod/fraud-check~1") == main_before
    assert committed_files(edited_repo) == [ORDER]
    assert obj["branch"] == "patchmod/fraud-check"
    assert obj["message"].endswith("on the new branch patchmod/fraud-check")
    # The unrelated dirty file came along, still uncommitted.
    assert status(edited_repo) == " M notes.txt\n"

    pr = obj["pull_request"]
    assert pr["title"] == f"patchmod: introduce {INTRODUCED}"
    body = pr["body"]
    region = obj["regions"][0]
    assert f"{ORDER}:{region['start_line']}-{region['end_line']} OrderWorkflow.run (add)" in body
    assert "`OrderWorkflow` (workflows/order.py)" in body
    assert "**Stage**: introduce" in body
    assert "**Before merging**: nothing to wait for" in body
    assert f"patchmod ready {INTRODUCED} --stage deprecate" in body  # the next stage's check


def test_introduce_text_output_names_the_branch(edited_repo: Path) -> None:
    result = run("-C", edited_repo, "introduce", INTRODUCED, "--branch", "feature/x")
    assert result.exit_code == 0, result.stderr
    assert "on the new branch feature/x" in result.stdout
    assert branch_of(edited_repo) == "feature/x"


def test_introduce_refuses_an_existing_branch_with_nothing_written(edited_repo: Path) -> None:
    git(edited_repo, "branch", "taken")
    before = snapshot(edited_repo)
    result = run("-C", edited_repo, "introduce", INTRODUCED, "--branch", "taken", "--json")
    assert_refused(result)
    assert "--branch taken: the branch exists already" in result.stderr
    obj = json_out(result)
    assert obj["commit"] is None and obj["pull_request"] is None and obj["branch"] is None
    assert snapshot(edited_repo) == before
    assert branch_of(edited_repo) == "main"


@pytest.mark.parametrize("flag", ["--no-commit", "--dry-run"])
def test_branch_without_a_commit_is_bad_usage(edited_repo: Path, flag: str) -> None:
    before = snapshot(edited_repo)
    for args in (["introduce", INTRODUCED], ["deprecate", FRAUD], ["remove", FRAUD]):
        result = run("-C", edited_repo, *args, "--branch", "new", flag)
        assert_refused(result)
        assert f"--branch needs a commit: it cannot go with {flag}" in result.stderr
    assert snapshot(edited_repo) == before


@pytest.mark.parametrize("name", ["bad..name", "-x", "HEAD", "with space", "ends.lock", "@{-1}"])
def test_invalid_branch_names_are_refused(edited_repo: Path, name: str) -> None:
    before = snapshot(edited_repo)
    result = run("-C", edited_repo, "introduce", INTRODUCED, f"--branch={name}")
    assert_refused(result)
    assert "not a valid branch name" in result.stderr
    assert snapshot(edited_repo) == before


def test_a_refusal_creates_no_branch(tmp_path: Path) -> None:
    """The branch is made only once everything is checked: a rewrite that is
    refused, or a locked index, leaves no branch behind."""
    repo = make_repo(tmp_path / "repo", {ORDER: BASE})
    write(repo, ORDER, EDITED)
    (repo / ".git" / "index.lock").write_text("")
    before = snapshot(repo)
    result = run("-C", repo, "introduce", INTRODUCED, "--branch", "locked")
    assert_refused(result)
    assert "index.lock" in result.stderr
    assert snapshot(repo) == before
    (repo / ".git" / "index.lock").unlink()

    write(repo, ORDER, EDITED.replace("return what", "return what.upper()"))  # query-reached helper
    before = snapshot(repo)
    result = run("-C", repo, "introduce", INTRODUCED, "--branch", "refused")
    assert_refused(result)
    assert snapshot(repo) == before


def test_from_a_detached_head(edited_repo: Path) -> None:
    git(edited_repo, "checkout", "-q", "--detach")
    detached = head(edited_repo)
    result = run("-C", edited_repo, "introduce", INTRODUCED, "--branch", "from-detached")
    assert result.exit_code == 0, result.stderr
    assert branch_of(edited_repo) == "from-detached"
    assert sha(edited_repo, "from-detached~1") == detached == sha(edited_repo, "main")


def test_nothing_to_do_makes_no_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {ORDER: BASE})
    result = run("-C", repo, "introduce", INTRODUCED, "--branch", "idle", "--json")
    assert result.exit_code == 0, result.stderr
    obj = json_out(result)
    assert obj["nothing_to_do"] and obj["branch"] is None and obj["pull_request"] is None
    assert git(repo, "branch", "--list", "idle") == "" and branch_of(repo) == "main"


# --- pinned workflows ----------------------------------------------------------------

def pinned(text: str) -> str:
    """The workflow declared pinned with Worker Versioning."""
    return text.replace(
        "from temporalio import activity, workflow\n",
        "from temporalio import activity, workflow\nfrom temporalio.common import VersioningBehavior\n",
    ).replace("@workflow.defn\n", "@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)\n")


PINNED_BASE = pinned(BASE)


def test_introduce_on_a_pinned_workflow_has_nothing_to_do(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {ORDER: PINNED_BASE})
    write(repo, ORDER, pinned(EDITED))
    before = snapshot(repo)
    result = run("-C", repo, "introduce", INTRODUCED)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("nothing to do: no change needs a patch; OrderWorkflow is pinned")
    line = PINNED_BASE.splitlines().index("class OrderWorkflow:") + 1
    assert f"{ORDER}:{line}: note: OrderWorkflow changed, and it is pinned (versioning_behavior=PINNED)" \
        in result.stderr
    assert snapshot(repo) == before  # nothing written, nothing committed

    obj = json_out(run("-C", repo, "introduce", INTRODUCED, "--json"))
    assert obj["nothing_to_do"] is True and obj["regions"] == [] and obj["commit"] is None
    assert obj["notes"] == [{"file": ORDER, "line": line, "message": obj["notes"][0]["message"]}]
    assert "no patch is needed" in obj["notes"][0]["message"]


# --- deprecate and remove ------------------------------------------------------------


def test_deprecate_on_a_new_branch_with_the_pull_request(tmp_path: Path) -> None:
    repo = make_retire_repo(tmp_path / "repo")
    main_before = sha(repo, "main")
    result = run("-C", repo, "deprecate", FRAUD, "--branch", "patchmod/deprecate-fraud", "--json")
    assert result.exit_code == 0, result.stderr
    obj = json_out(result)
    assert branch_of(repo) == "patchmod/deprecate-fraud" and obj["branch"] == "patchmod/deprecate-fraud"
    assert sha(repo, "main") == main_before
    assert sha(repo, "HEAD") == obj["commit"] and sha(repo, "HEAD~1") == main_before
    assert committed_files(repo) == [ORDER, REFUND]
    assert obj["readiness"] is None  # not asked

    pr = obj["pull_request"]
    assert pr["title"] == f"patchmod: deprecate {FRAUD}"
    body = pr["body"]
    for site in obj["sites"]:
        assert f"- {site['file']}:{site['line']} {site['class']}.{site['method']} ({site['form']})" in body
    for name, path in (("OrderWorkflow", ORDER), ("RefundWorkflow", REFUND), ("ChargebackWorkflow", REFUND)):
        assert f"`{name}` ({path})" in body
    assert "**Stage**: deprecate" in body
    assert "no open or still retained execution of these workflows may lack the patch marker" in body
    assert f"patchmod ready {FRAUD} --stage deprecate --include-closed" in body
    assert "retention" in body


def test_remove_pull_request_says_to_wait_for_retention(tmp_path: Path) -> None:
    repo = make_retire_repo(tmp_path / "repo", "deprecated")
    result = run("-C", repo, "remove", FRAUD, PAYMENT, "--branch", "patchmod/remove", "--json")
    assert result.exit_code == 0, result.stderr
    obj = json_out(result)
    assert branch_of(repo) == "patchmod/remove" and sha(repo, "main") == sha(repo, "HEAD~1")
    pr = obj["pull_request"]
    assert pr["title"] == f"patchmod: remove {FRAUD} {PAYMENT}"
    body = pr["body"]
    assert "**Stage**: remove" in body
    assert f"patchmod ready {FRAUD} {PAYMENT} --stage remove --include-closed" in body
    assert "non-deprecated marker" in body and "retention period" in body
    assert f"`{PAYMENT}`" in body  # several ids: each site names its id


def test_deprecate_refuses_an_existing_branch_with_nothing_written(tmp_path: Path) -> None:
    repo = make_retire_repo(tmp_path / "repo")
    git(repo, "branch", "patchmod/deprecate-fraud")
    before = snapshot(repo)
    result = run("-C", repo, "deprecate", FRAUD, "--branch", "patchmod/deprecate-fraud", "--json")
    assert_refused(result)
    obj = json_out(result)
    assert obj["errors"][0]["message"].startswith("--branch patchmod/deprecate-fraud: the branch exists already")
    assert snapshot(repo) == before


def test_pull_request_without_branch_and_a_long_title(tmp_path: Path) -> None:
    """Without --branch the JSON still carries the pull request (the bot may
    have made the branch itself); many ids shorten the title."""
    ids = [f"retire-the-legacy-flow-number-{i}-v1" for i in range(4)]
    source = (Path(__file__).resolve().parent.parent / "testdata" / "stages" / "workflow_2_patched.py").read_text()
    files = {f"flows/f{i}.py": source.replace('"my-patch"', f'"{pid}"') for i, pid in enumerate(ids)}
    repo = make_repo(tmp_path / "repo", files)
    obj = json_out(run("-C", repo, "deprecate", *ids, "--json"))
    assert obj["branch"] is None and obj["commit"]
    title = obj["pull_request"]["title"]
    assert len(title) <= 72 and title.startswith(f"patchmod: deprecate {ids[0]}") and title.endswith("more")
    dry = json_out(run("-C", repo, "remove", *ids, "--dry-run", "--json"))
    assert dry["pull_request"]["title"].startswith("patchmod: remove ")
