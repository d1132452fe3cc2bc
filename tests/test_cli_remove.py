"""`patchmod remove` on real git repositories: what it commits, prints and
refuses, and that a removed id stays retired."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest
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
from patchmod.cli import api
from patchmod.codemods.remove import remove_patches
from retire_repo import (
    FRAUD,
    ORDER,
    PAYMENT,
    REFUND,
    assert_refused,
    make_retire_repo,
    many_sources,
    run,
    sources,
)

TODAY = datetime.date.today()
JSON_KEYS = {"command", "patch_ids", "files", "sites", "commit", "branch", "warnings", "nothing_to_do", "message",
             "readiness", "pull_request", "errors"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Both ids deprecated already (by the codemod, committed as the base)."""
    return make_retire_repo(tmp_path / "repo", "deprecated")


@pytest.fixture
def patched_repo(tmp_path: Path) -> Path:
    return make_retire_repo(tmp_path / "patched")


def removed(path: str, ids: list[str]) -> str:
    return remove_patches(sources("deprecated")[path], ids, date=TODAY).code


def deprecate_lines(text: str, patch_id: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if f'workflow.deprecate_patch("{patch_id}")' in line]


# --- the commit -------------------------------------------------------------------------


def test_commit_holds_the_rewritten_files_with_subject_body_and_trailers(repo: Path) -> None:
    base = head(repo)
    before = {p: (repo / p).read_text() for p in (ORDER, REFUND)}
    result = run("-C", repo, "remove", FRAUD)
    assert result.exit_code == 0, result.stderr

    assert git(repo, "rev-parse", "HEAD^").strip() == base
    assert committed_files(repo) == [ORDER, REFUND]
    for path in (ORDER, REFUND):
        on_disk = (repo / path).read_text()
        assert on_disk == removed(path, [FRAUD])
        assert file_at(repo, "HEAD", path).decode() == on_disk
        assert FRAUD not in re.sub(r"(?m)^ *- \d{4}-\d\d-\d\d .*$", "", on_disk)  # only in the history
    assert f'workflow.deprecate_patch("{PAYMENT}")' in (repo / ORDER).read_text()
    assert (repo / REFUND).read_text().count(f"- {TODAY.isoformat()} removed {FRAUD}") == 2
    assert status(repo) == ""

    message = git(repo, "log", "-1", "--format=%B")
    lines = message.splitlines()
    assert lines[0] == f"patchmod: remove {FRAUD}"
    expected_sites = [(ORDER, n, "OrderWorkflow") for n in deprecate_lines(before[ORDER], FRAUD)]
    refund_lines = deprecate_lines(before[REFUND], FRAUD)
    expected_sites += [(REFUND, refund_lines[0], "RefundWorkflow"), (REFUND, refund_lines[1], "ChargebackWorkflow")]
    for path, line, cls in expected_sites:
        assert f"  {path}:{line} {cls}.run call" in lines, message
    assert trailers(repo) == [("Patch-Id", FRAUD), ("Patch-Stage", "removed")]
    assert result.stdout.splitlines()[0] == f"removed {FRAUD} at 3 sites in 2 files; committed {head(repo)[:12]}"


def test_several_ids_in_one_call_make_one_commit(repo: Path) -> None:
    base = head(repo)
    result = run("-C", repo, "remove", FRAUD, PAYMENT)
    assert result.exit_code == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == base
    assert git(repo, "log", "-1", "--format=%s").strip() == f"patchmod: remove {FRAUD} {PAYMENT}"
    assert trailers(repo) == [("Patch-Id", FRAUD), ("Patch-Id", PAYMENT), ("Patch-Stage", "removed")]
    order = (repo / ORDER).read_text()
    assert order == removed(ORDER, [FRAUD, PAYMENT])
    assert "deprecate_patch" not in order
    assert "from temporalio import workflow" in order  # still used by @workflow.defn


def test_unrelated_dirty_and_untracked_files_stay_as_they_were(repo: Path) -> None:
    write(repo, "notes.txt", "changed\n")
    write(repo, "workflows/scratch.py", f'from temporalio import workflow\nworkflow.deprecate_patch("{FRAUD}")\n')
    result = run("-C", repo, "remove", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER, REFUND]
    assert status(repo).splitlines() == [" M notes.txt", "?? workflows/scratch.py"]


# --- refusals ----------------------------------------------------------------------------


def test_refused_while_patched_is_still_in_the_code_listing_every_place(patched_repo: Path) -> None:
    repo = patched_repo
    before = snapshot(repo)
    result = run("-C", repo, "remove", FRAUD)
    assert_refused(result)
    places = [line.split(": ")[0] for line in result.stderr.splitlines()]
    assert places == [f"{ORDER}:23", f"{REFUND}:12", f"{REFUND}:23"]
    assert all("deprecate it first" in line for line in result.stderr.splitlines())
    assert snapshot(repo) == before


def test_refused_when_one_file_still_has_patched_even_if_others_are_ready(repo: Path) -> None:
    write(repo, "workflows/late.py", f'''\
from temporalio import workflow


@workflow.defn
class LateWorkflow:
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("{FRAUD}"):
            await workflow.sleep(1)
''')
    commit_all(repo, "a workflow that was missed")
    before = snapshot(repo)
    result = run("-C", repo, "remove", FRAUD, "--json")
    assert_refused(result)
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert [(e["file"], e["line"]) for e in obj["errors"]] == [("workflows/late.py", 8)]
    assert snapshot(repo) == before
    # --path leaves the late file out: then the rest can go.
    result = run("-C", repo, "remove", FRAUD, "--path", ORDER, "--path", REFUND)
    assert result.exit_code == 0, result.stderr


def test_a_dirty_target_is_refused_with_nothing_written(repo: Path) -> None:
    write(repo, ORDER, (repo / ORDER).read_text() + "\n# wip\n")
    before = snapshot(repo)
    result = run("-C", repo, "remove", FRAUD)
    assert_refused(result)
    assert result.stderr.startswith(f"{ORDER}: has uncommitted changes")
    assert snapshot(repo) == before


# --- options -------------------------------------------------------------------------------


def test_dry_run_no_commit_and_json(repo: Path) -> None:
    before = snapshot(repo)
    result = run("-C", repo, "remove", FRAUD, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f'-        workflow.deprecate_patch("{FRAUD}")' in result.stdout
    assert snapshot(repo) == before

    obj = json.loads(run("-C", repo, "remove", FRAUD, "--no-commit", "--json").stdout)
    assert set(obj) == JSON_KEYS
    assert obj["command"] == "remove" and obj["commit"] is None and obj["files"] == [ORDER, REFUND]
    assert {s["form"] for s in obj["sites"]} == {"call"}
    assert {(s["file"], s["class"]) for s in obj["sites"]} == {
        (ORDER, "OrderWorkflow"), (REFUND, "RefundWorkflow"), (REFUND, "ChargebackWorkflow")}
    assert head(repo) == before.head
    assert status(repo).splitlines() == [f" M {ORDER}", f" M {REFUND}"]


def test_dash_C_and_path(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("-C", repo / "workflows", "remove", FRAUD, "--path", "order.py")
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [ORDER]


def test_nothing_to_do(repo: Path) -> None:
    before = snapshot(repo)
    result = run("-C", repo, "remove", "unknown-thing-v1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "nothing to do: unknown-thing-v1 appears in no file\n"
    assert snapshot(repo) == before
    assert run("-C", repo, "remove", FRAUD).exit_code == 0
    before = snapshot(repo)
    result = run("-C", repo, "remove", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"nothing to do: {FRAUD} has no workflow.deprecate_patch() call left")
    assert snapshot(repo) == before


# --- a removed id stays retired ---------------------------------------------------------------


FRESH_EDIT = ("        return await workflow.execute_activity(\"refund\", order_id, start_to_close_timeout=TIMEOUT)\n",
              "        await workflow.sleep(1)\n"
              "        return await workflow.execute_activity(\"refund\", order_id, start_to_close_timeout=TIMEOUT)\n")


def test_introduce_refuses_a_removed_id(repo: Path) -> None:
    assert run("-C", repo, "remove", FRAUD).exit_code == 0
    write(repo, REFUND, (repo / REFUND).read_text().replace(*FRESH_EDIT))
    before = snapshot(repo)
    result = run("-C", repo, "introduce", FRAUD)
    assert_refused(result)
    assert f"{REFUND}:" in result.stderr and "Versioning History" in result.stderr
    assert f"commit {head(repo)[:12]}" in result.stderr and "Patch-Id trailer" in result.stderr
    assert snapshot(repo) == before


def test_the_trailer_alone_keeps_a_removed_id_retired(repo: Path) -> None:
    """Even with every changelog line gone (squashed away, hand-edited), the
    remove commit's Patch-Id trailer still blocks the id."""
    assert run("-C", repo, "remove", FRAUD).exit_code == 0
    retire_commit = head(repo)
    for path in (ORDER, REFUND):
        text = (repo / path).read_text()
        write(repo, path, "\n".join(line for line in text.split("\n") if FRAUD not in line))
    commit_all(repo, "tidy the docstrings")
    write(repo, REFUND, (repo / REFUND).read_text().replace(*FRESH_EDIT))
    result = run("-C", repo, "introduce", FRAUD)
    assert_refused(result)
    assert result.stderr.splitlines() == [
        f"commit {h[:12]}: patch id {FRAUD!r} is in its Patch-Id trailer; an id is used once, ever: pick a new one"
        for h in git(repo, "log", "--format=%H", "--grep", f"Patch-Id: {FRAUD}").split()
    ]
    assert retire_commit[:12] in result.stderr


# --- many files ----------------------------------------------------------------------------------


def test_parallel_and_serial_remove_agree(tmp_path: Path) -> None:
    date = datetime.date(2030, 1, 1)
    serial = make_repo(tmp_path / "serial", many_sources(12))
    api.deprecate(serial, FRAUD, date=date, jobs=1)
    parallel = tmp_path / "parallel"
    shutil.copytree(serial, parallel)
    one = api.remove(serial, FRAUD, jobs=1, date=date)
    two = api.remove(parallel, FRAUD, jobs=2, date=date)
    assert one["sites"] == two["sites"] and len(one["sites"]) == 12
    assert git(serial, "rev-parse", "HEAD^{tree}") == git(parallel, "rev-parse", "HEAD^{tree}")
    assert "deprecate_patch" not in (parallel / "flows/flow_005.py").read_text()
