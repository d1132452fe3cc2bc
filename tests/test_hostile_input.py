"""Hostile input: what introduce, deprecate, remove, status and check do with
files, ids and repositories that are not what they expect. Real git
repositories in temporary folders, nothing mocked. Each case: a clear
message (with file and line where there is one), a documented exit status,
and no change to anything when refused. README "Safety" lists them.

Processes running at once and runs killed midway are in
test_concurrent_runs.py.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import stat
import time
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
from retire_repo import (
    FRAUD,
    ORDER,
    PAYMENT,
    REFUND,
    assert_refused,
    make_retire_repo,
    run,
    sources,
)

INTRODUCED = "add-fraud-check-v1"
WF = "workflows/order.py"

BASE = '''\
"""Order fulfilment."""

from datetime import timedelta

from temporalio import workflow

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges an order and ships it."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity("charge", order_id, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity("ship", order_id, start_to_close_timeout=TIMEOUT)
'''

EDITED = BASE.replace(
    '        return await',
    '        safe = await workflow.execute_activity("check_fraud", order_id, start_to_close_timeout=TIMEOUT)\n'
    '        if not safe:\n'
    '            return "held"\n'
    '        return await',
)

TODAY = datetime.date.today().isoformat()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A workflow module edited in the working tree, ready for introduce."""
    root = make_repo(tmp_path / "repo", {WF: BASE, "workflows/__init__.py": "", "notes.txt": "todo\n"})
    write(root, WF, EDITED)
    return root


@pytest.fixture
def retire_repo(tmp_path: Path) -> Path:
    """Two ids with patched() sites in two files, ready for deprecate."""
    return make_retire_repo(tmp_path / "retire")


def refused(result, *needles: str) -> None:
    assert_refused(result)
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def no_lock(repo: Path) -> None:
    assert not (repo / ".git" / "patchmod.lock").exists()


# --- syntax errors ---------------------------------------------------------------------------


def test_introduce_refuses_a_syntax_error_at_its_line(repo: Path) -> None:
    broken = EDITED.replace("if not safe:", "if not safe")
    write(repo, WF, broken)
    line = broken.splitlines().index("        if not safe") + 1
    before = snapshot(repo)
    refused(run("-C", repo, "introduce", INTRODUCED), f"{WF}:{line}: syntax error")
    assert snapshot(repo) == before
    no_lock(repo)


def test_deprecate_refuses_a_syntax_error_at_its_line(retire_repo: Path) -> None:
    broken = sources()[REFUND].replace("    async def run(self, order_id: str) -> str:\n        note",
                                       "    async def run(self, order_id: str) -> str\n        note")
    write(retire_repo, REFUND, broken)
    commit_all(retire_repo, "broken")
    before = snapshot(retire_repo)
    result = run("-C", retire_repo, "deprecate", FRAUD)
    line = broken.splitlines().index("    async def run(self, order_id: str) -> str") + 1
    refused(result, f"{REFUND}:{line}: syntax error")
    assert snapshot(retire_repo) == before  # order.py, which parses, is not written either


def test_status_lists_a_syntax_error_as_a_problem_and_check_refuses_it(retire_repo: Path) -> None:
    write(retire_repo, REFUND, sources()[REFUND] + "\ndef broken(:\n")
    line = len(sources()[REFUND].splitlines()) + 2
    result = run("-C", retire_repo, "status")
    assert result.exit_code == 0, result.stderr
    assert f"{REFUND}:{line}:" in result.stdout
    refused(run("-C", retire_repo, "check"), f"{REFUND}:{line}:")


# --- bytes that are not UTF-8 ----------------------------------------------------------------


LATIN1 = "# -*- coding: latin-1 -*-\n# caf\xe9\n".encode("latin-1")


def test_introduce_refuses_a_file_that_is_not_utf8(repo: Path) -> None:
    write(repo, WF, LATIN1 + EDITED.encode())
    before = snapshot(repo)
    refused(run("-C", repo, "introduce", INTRODUCED), f"{WF}: not valid UTF-8 (byte 31)")
    assert snapshot(repo) == before


def test_deprecate_refuses_a_target_that_is_not_utf8_and_writes_nothing(retire_repo: Path) -> None:
    write(retire_repo, REFUND, LATIN1 + sources()[REFUND].encode())
    commit_all(retire_repo, "latin-1")
    before = snapshot(retire_repo)
    refused(run("-C", retire_repo, "deprecate", FRAUD), f"{REFUND}: not valid UTF-8")
    assert snapshot(retire_repo) == before


def test_status_and_check_on_a_file_that_is_not_utf8(retire_repo: Path) -> None:
    write(retire_repo, REFUND, LATIN1 + sources()[REFUND].encode())
    result = run("-C", retire_repo, "status")
    assert result.exit_code == 0, result.stderr
    assert f"{REFUND}: unreadable: not valid UTF-8" in result.stdout
    refused(run("-C", retire_repo, "check"), f"{REFUND}: not valid UTF-8")


def test_a_file_that_is_not_utf8_and_spells_no_id_does_not_matter(retire_repo: Path) -> None:
    write(retire_repo, "workflows/legacy.py", LATIN1)
    commit_all(retire_repo, "legacy")
    assert run("-C", retire_repo, "deprecate", FRAUD).exit_code == 0


# --- CRLF, tabs, a byte-order mark: kept exactly through every stage --------------------------


def crlf_tabs_bom(text: str) -> str:
    return "\ufeff" + text.replace("    ", "\t").replace("\n", "\r\n")


def test_crlf_tabs_and_bom_are_kept_through_introduce_deprecate_and_remove(tmp_path: Path) -> None:
    """The same life on a plain file and on a CRLF, tab-indented file with a
    byte-order mark: at each stage the second is exactly the first, converted."""
    plain = make_repo(tmp_path / "plain", {WF: BASE})
    odd = make_repo(tmp_path / "odd", {WF: crlf_tabs_bom(BASE)})
    write(plain, WF, EDITED)
    write(odd, WF, crlf_tabs_bom(EDITED))
    for args in (["introduce", INTRODUCED], ["deprecate", INTRODUCED], ["remove", INTRODUCED]):
        for root in (plain, odd):
            result = run("-C", root, *args)
            assert result.exit_code == 0, (args, result.stderr)
            assert status(root) == ""
        expected = crlf_tabs_bom((plain / WF).read_text())
        assert (odd / WF).read_bytes() == expected.encode(), args
        assert file_at(odd, "HEAD", WF) == expected.encode()
    assert "workflow.deprecate_patch" not in (odd / WF).read_text()


# --- very large files ---------------------------------------------------------------------------


def generated_module(classes: int, patch_id: str | None = None) -> str:
    """Generated workflow code: `classes` workflow classes, one site of
    `patch_id` in the middle one."""
    parts = ["from datetime import timedelta\n\nfrom temporalio import workflow\n\n"]
    for i in range(classes):
        site = ""
        if patch_id and i == classes // 2:
            site = (f'        if workflow.patched("{patch_id}"):\n'
                    f'            await workflow.execute_activity("extra", n, start_to_close_timeout=timedelta(seconds=5))\n')
        parts.append(f'''
@workflow.defn
class Generated{i}Workflow:
    """Generated workflow {i}."""

    @workflow.run
    async def run(self, n: int) -> int:
        total = n * {i}
        for k in range(n):
            total += k
        await workflow.execute_activity("step_{i}", n, start_to_close_timeout=timedelta(seconds={i % 50 + 1}))
{site}        return total

''')
    return "".join(parts)


def test_a_five_megabyte_module(tmp_path: Path) -> None:
    text = generated_module(15000, "gen-extra-step-v1")
    assert len(text) > 5_000_000
    root = make_repo(tmp_path / "big", {"generated/flows.py": text})
    before = snapshot(root)

    started = time.monotonic()
    result = run("-C", root, "deprecate", "absent-id-v1")
    assert result.exit_code == 0 and "nothing to do" in result.stdout
    result = run("-C", root, "check")
    assert result.exit_code == 0, result.stderr
    assert snapshot(root) == before
    assert time.monotonic() - started < 10

    started = time.monotonic()
    result = run("-C", root, "status", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [p["patch_id"] for p in report["patches"]] == ["gen-extra-step-v1"]
    assert len(report["workflows"]) == 15000
    assert time.monotonic() - started < 30


# --- symbolic links ----------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A workflow file outside every repository, spelling FRAUD."""
    return write(tmp_path / "elsewhere", "shared_flows.py", sources()[ORDER])


def test_deprecate_skips_a_committed_link_to_outside_with_a_warning(retire_repo: Path, outside: Path) -> None:
    os.symlink(outside, retire_repo / "workflows/shared.py")
    commit_all(retire_repo, "link")
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert ("workflows/shared.py: warning: a symbolic link to " f"{outside}, outside the repository: not followed"
            in result.stderr)
    assert outside.read_text() == sources()[ORDER]
    assert (retire_repo / "workflows/shared.py").is_symlink()
    assert committed_files(retire_repo) == [ORDER, REFUND]
    assert status(retire_repo) == ""


def test_deprecate_skips_a_file_replaced_by_a_link_to_outside(retire_repo: Path, outside: Path) -> None:
    (retire_repo / ORDER).unlink()
    os.symlink(outside, retire_repo / ORDER)
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert f"{ORDER}: warning: a symbolic link to {outside}, outside the repository" in result.stderr
    assert outside.read_text() == sources()[ORDER]
    assert (retire_repo / ORDER).is_symlink()
    assert committed_files(retire_repo) == [REFUND]


def test_a_path_through_a_link_to_outside_is_refused(retire_repo: Path, outside: Path) -> None:
    os.symlink(outside, retire_repo / "workflows/shared.py")
    commit_all(retire_repo, "link")
    before = snapshot(retire_repo)
    refused(run("-C", retire_repo, "deprecate", FRAUD, "--path", "workflows/shared.py"), "outside the repository")
    refused(run("-C", retire_repo, "status", "workflows/shared.py"), "outside the repository")
    assert snapshot(retire_repo) == before


def test_introduce_never_writes_through_a_link_to_outside(repo: Path, tmp_path: Path) -> None:
    target = write(tmp_path / "elsewhere", "order.py", EDITED)
    (repo / WF).unlink()
    os.symlink(target, repo / WF)
    before = snapshot(repo)
    refused(run("-C", repo, "introduce", INTRODUCED),
            f"{WF}: is a symbolic link (to {target}, outside the repository); patchmod never writes through a link")
    assert target.read_text() == EDITED
    assert (repo / WF).is_symlink()
    assert snapshot(repo) == before
    no_lock(repo)


def test_introduce_never_writes_into_a_folder_linked_to_outside(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere-folder"
    shutil.move(repo / "workflows", elsewhere)
    os.symlink(elsewhere, repo / "workflows")
    before = snapshot(repo)
    result = run("-C", repo, "introduce", INTRODUCED, WF)
    refused(result, "outside the repository")
    result = run("-C", repo, "introduce", INTRODUCED)
    refused(result, f"{WF}: lies under a symbolic link")
    assert (elsewhere / "order.py").read_text() == EDITED
    assert snapshot(repo) == before


def test_a_link_inside_the_repository_leads_to_its_file(retire_repo: Path) -> None:
    os.symlink("order.py", retire_repo / "workflows/alias.py")
    commit_all(retire_repo, "alias")
    result = run("-C", retire_repo, "deprecate", PAYMENT, "--path", "workflows/alias.py")
    assert result.exit_code == 0, result.stderr
    assert committed_files(retire_repo) == [ORDER]
    assert os.readlink(retire_repo / "workflows/alias.py") == "order.py"
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert committed_files(retire_repo) == [ORDER, REFUND]
    assert status(retire_repo) == ""


# --- paths outside the repository ----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["introduce", INTRODUCED, "{out}"],
    ["introduce", INTRODUCED, "../elsewhere"],
    ["deprecate", FRAUD, "--path", "{out}"],
    ["remove", FRAUD, "--path", "../elsewhere"],
    ["status", "{out}"],
    ["check", "../elsewhere/shared_flows.py"],
])
def test_paths_outside_the_repository_are_refused(repo: Path, outside: Path, args: list[str]) -> None:
    before = snapshot(repo)
    result = run("-C", repo, *[a.replace("{out}", str(outside)) for a in args])
    refused(result, "outside the repository")
    assert snapshot(repo) == before
    assert outside.read_text() == sources()[ORDER]


# --- read-only files ----------------------------------------------------------------------------


def test_deprecate_refuses_a_read_only_target_before_writing_any(retire_repo: Path) -> None:
    os.chmod(retire_repo / REFUND, 0o444)
    before = snapshot(retire_repo)
    refused(run("-C", retire_repo, "deprecate", FRAUD),
            f"{REFUND}: is read-only (mode 0444); make it writable (chmod u+w)")
    assert snapshot(retire_repo) == before  # order.py, writable and first in line, is untouched too
    assert stat.S_IMODE(os.stat(retire_repo / REFUND).st_mode) == 0o444
    assert not list(retire_repo.rglob("*.patchmod"))
    no_lock(retire_repo)


def test_introduce_refuses_a_read_only_target(repo: Path) -> None:
    os.chmod(repo / WF, 0o444)
    before = snapshot(repo)
    refused(run("-C", repo, "introduce", INTRODUCED), f"{WF}: is read-only")
    assert snapshot(repo) == before


def test_read_only_files_the_command_does_not_rewrite_do_not_matter(retire_repo: Path) -> None:
    os.chmod(retire_repo / "tools/prices.py", 0o444)
    os.chmod(retire_repo / REFUND, 0o444)
    result = run("-C", retire_repo, "deprecate", PAYMENT)
    assert result.exit_code == 0, result.stderr
    assert committed_files(retire_repo) == [ORDER]


def test_a_replace_that_fails_midway_puts_back_the_files_already_replaced(tmp_path: Path) -> None:
    """files.write_all: the second target cannot be replaced (a folder stands
    in its place by then); the first, already replaced, gets its old bytes."""
    from patchmod.cli import files
    from patchmod.cli.errors import PatchmodError

    root = tmp_path / "tree"
    write(root, "a.py", "old a\r\n")
    write(root, "b.py", "old b\n")
    os.chmod(root / "a.py", 0o640)

    real_replace = os.replace

    def replace_then_block(src, dst):  # a real rename, then (once) a real obstacle for b.py
        real_replace(src, dst)
        if str(dst).endswith("a.py") and not (root / "b.py").is_dir():
            (root / "b.py").unlink()
            (root / "b.py").mkdir()
            (root / "b.py" / "keep").write_text("x")

    os.replace = replace_then_block
    try:
        with pytest.raises(PatchmodError) as caught:
            files.write_all(root, [("a.py", "new a\n"), ("b.py", "new b\n")])
    finally:
        os.replace = real_replace
    assert "b.py: cannot replace it" in str(caught.value)
    assert "nothing changed" in str(caught.value)
    assert (root / "a.py").read_bytes() == b"old a\r\n"
    assert stat.S_IMODE(os.stat(root / "a.py").st_mode) == 0o640
    assert sorted(p.name for p in root.iterdir()) == ["a.py", "b.py"]  # no temporary file left


# --- patch ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id, why", [
    ('say-"hi"-v1', "cannot contain quotes"),
    ("it's-v1", "cannot contain quotes"),
    ("two\nlines-v1", "cannot contain whitespace or newlines"),
    ("x" * 300, "at most 100 characters, this one has 300"),
    ("zero\u200bwidth-v1", "cannot contain control characters"),
    ("back\\slash-v1", "backslashes"),
    ("", "cannot be empty"),
])
@pytest.mark.parametrize("command", ["introduce", "deprecate", "remove"])
def test_invalid_ids_are_refused(repo: Path, bad_id: str, why: str, command: str) -> None:
    before = snapshot(repo)
    result = run("-C", repo, command, "--json", "--", bad_id)
    refused(result, f"{bad_id!r}: ", why)
    assert json.loads(result.stdout)["errors"]
    assert snapshot(repo) == before


def test_a_unicode_id_lives_through_every_stage(repo: Path) -> None:
    patch_id = "vérifier-fraude-日本-v1"
    result = run("-C", repo, "introduce", patch_id)
    assert result.exit_code == 0, result.stderr
    assert f'workflow.patched("{patch_id}")' in (repo / WF).read_text(encoding="utf-8")
    assert ("Patch-Id", patch_id) in trailers(repo)
    status_report = json.loads(run("-C", repo, "status", "--json").stdout)
    assert [p["patch_id"] for p in status_report["patches"]] == [patch_id]
    refused(run("-C", repo, "introduce", patch_id), "already")
    for command in ("deprecate", "remove"):
        result = run("-C", repo, command, patch_id)
        assert result.exit_code == 0, result.stderr
        assert ("Patch-Id", patch_id) in trailers(repo)
    assert f"removed {patch_id}" in (repo / WF).read_text(encoding="utf-8")
    assert status(repo) == ""


def test_an_id_that_looks_like_an_option_goes_after_double_dash(retire_repo: Path) -> None:
    assert run("-C", retire_repo, "deprecate", "-rf").exit_code == 2  # click: no such option
    result = run("-C", retire_repo, "deprecate", "--", "-rf")
    assert result.exit_code == 0 and "nothing to do: -rf appears in no file" in result.stdout


def test_an_id_with_regex_and_glob_characters_matches_only_itself(retire_repo: Path) -> None:
    result = run("-C", retire_repo, "deprecate", "add-fraud-check-v.*")
    assert result.exit_code == 0 and "nothing to do" in result.stdout
    result = run("-C", retire_repo, "deprecate", "*")
    assert result.exit_code == 0 and "nothing to do" in result.stdout
    assert status(retire_repo) == ""


# --- not a repository; detached HEAD; a merge or rebase in progress --------------------------------


@pytest.mark.parametrize("args", [["introduce", INTRODUCED], ["deprecate", FRAUD], ["remove", FRAUD],
                                  ["status"], ["check"]])
def test_not_a_git_repository(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "plain-folder"
    write(folder, "order.py", EDITED)
    refused(run("-C", folder, *args), f"{folder}: not a git repository")
    assert sorted(p.name for p in folder.iterdir()) == ["order.py"]
    assert (folder / "order.py").read_text() == EDITED


def test_detached_head_works_and_says_the_commit_is_on_no_branch(retire_repo: Path) -> None:
    base = head(retire_repo)
    git(retire_repo, "checkout", "-q", "--detach")
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    new = head(retire_repo)
    assert git(retire_repo, "rev-parse", "HEAD~1").strip() == base
    assert f"warning: HEAD is detached: commit {new[:12]} is on no branch; `git switch -c NAME`" in result.stderr
    assert git(retire_repo, "rev-parse", "main").strip() == base  # no branch moved
    assert status(retire_repo) == ""
    result = run("-C", retire_repo, "deprecate", PAYMENT, "--json")
    assert any("HEAD is detached" in w["message"] for w in json.loads(result.stdout)["warnings"])


def test_no_detached_warning_on_a_branch(retire_repo: Path) -> None:
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0 and "detached" not in result.stderr


def conflicting_branches(root: Path) -> None:
    git(root, "checkout", "-q", "-b", "other")
    write(root, "notes.txt", "other\n")
    commit_all(root, "other notes")
    git(root, "checkout", "-q", "main")
    write(root, "notes.txt", "main\n")
    commit_all(root, "main notes")


@pytest.mark.parametrize("operation, marker", [
    (["merge", "other"], "MERGE_HEAD"),
    (["rebase", "other"], "rebase-"),
    (["cherry-pick", "other"], "CHERRY_PICK_HEAD"),
])
def test_a_git_operation_in_progress_is_refused(retire_repo: Path, operation: list[str], marker: str) -> None:
    conflicting_branches(retire_repo)
    git(retire_repo, *operation, check=False)
    before = snapshot(retire_repo)
    assert "U" in before.status  # the conflict is there
    for args in (["deprecate", FRAUD], ["deprecate", FRAUD, "--dry-run"], ["remove", FRAUD],
                 ["introduce", INTRODUCED]):
        refused(run("-C", retire_repo, *args), marker, "is in progress; finish or abort it first")
    assert snapshot(retire_repo) == before
    assert run("-C", retire_repo, "status").exit_code == 0  # reading is fine


# --- staged changes --------------------------------------------------------------------------------


def test_deprecate_refuses_a_target_with_staged_changes(retire_repo: Path) -> None:
    write(retire_repo, REFUND, sources()[REFUND] + "\n# staged\n")
    git(retire_repo, "add", REFUND)
    before = snapshot(retire_repo)
    refused(run("-C", retire_repo, "deprecate", FRAUD), f"{REFUND}: has uncommitted changes")
    refused(run("-C", retire_repo, "remove", FRAUD), f"{REFUND}: has uncommitted changes")
    assert snapshot(retire_repo) == before


def test_introduce_takes_a_fully_staged_target_and_leaves_other_staged_files_staged(repo: Path) -> None:
    git(repo, "add", WF)
    write(repo, "notes.txt", "staged note\n")
    git(repo, "add", "notes.txt")
    result = run("-C", repo, "introduce", INTRODUCED)
    assert result.exit_code == 0, result.stderr
    assert committed_files(repo) == [WF]
    assert status(repo) == "M  notes.txt\n"
    assert file_at(repo, "HEAD", "notes.txt") == b"todo\n"


def test_introduce_refuses_a_target_partly_staged(repo: Path) -> None:
    write(repo, WF, EDITED.replace('"held"', '"held-for-review"'))
    git(repo, "add", WF)
    write(repo, WF, EDITED)  # the working tree differs from the staged version
    before = snapshot(repo)
    refused(run("-C", repo, "introduce", INTRODUCED),
            f"{WF}: has staged changes and other, unstaged ones")
    refused(run("-C", repo, "introduce", INTRODUCED, "--dry-run"), f"{WF}: has staged changes")
    assert snapshot(repo) == before


def test_crlf_working_tree_of_an_lf_repository_commits_as_git_add_would(tmp_path: Path) -> None:
    """`*.py text eol=crlf`: git keeps LF in its blobs and CRLF on disk. The
    commit holds the rewrite normalized as `git add` would store it (not the
    whole file changed to CRLF), and the file is clean afterwards."""
    root = make_repo(tmp_path / "eol", {**sources(), ".gitattributes": "*.py text eol=crlf\n"})
    git(root, "rm", "-q", "--cached", "-r", ".")
    git(root, "reset", "-q", "--hard")  # check out again: CRLF on disk
    assert (root / ORDER).read_bytes().count(b"\r\n") > 10
    for args in (["deprecate", FRAUD], ["remove", FRAUD]):
        result = run("-C", root, *args)
        assert result.exit_code == 0, result.stderr
        assert status(root) == ""
        on_disk = (root / ORDER).read_bytes()
        assert b"\n" not in on_disk.replace(b"\r\n", b"")
        assert file_at(root, "HEAD", ORDER) == on_disk.replace(b"\r\n", b"\n")
        changed = git(root, "diff", "--numstat", "HEAD~1", "HEAD", "--", ORDER).split()
        assert int(changed[0]) < 15, changed  # the sites and the changelog, not every line


def test_file_names_with_spaces_quotes_unicode_and_a_leading_dash(tmp_path: Path) -> None:
    odd = {"workflows/ordre d'été.py": sources()[ORDER], "-refund.py": sources()[REFUND]}
    root = make_repo(tmp_path / "names", odd)
    result = run("-C", root, "deprecate", FRAUD, "--json")
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(result.stdout)["files"]) == sorted(odd)
    changed = git(root, "diff-tree", "-z", "--no-commit-id", "--name-only", "-r", "HEAD~1", "HEAD")
    assert sorted(p for p in changed.split("\0") if p) == sorted(odd)
    assert status(root) == ""
    result = run("-C", root, "status", "--json")
    assert {s["file"] for p in json.loads(result.stdout)["patches"] for s in p["sites"]} == set(odd)


def test_introduce_in_a_crlf_working_tree_of_an_lf_repository(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "eol", {WF: BASE, ".gitattributes": "*.py text eol=crlf\n"})
    git(root, "rm", "-q", "--cached", "-r", ".")
    git(root, "reset", "-q", "--hard")
    write(root, WF, EDITED.replace("\n", "\r\n"))
    result = run("-C", root, "introduce", INTRODUCED)
    assert result.exit_code == 0, result.stderr
    assert "1 region" in result.stdout
    assert status(root) == ""
    on_disk = (root / WF).read_bytes()
    assert b"\n" not in on_disk.replace(b"\r\n", b"")
    assert file_at(root, "HEAD", WF) == on_disk.replace(b"\r\n", b"\n")


def test_a_hard_linked_target_is_refused(retire_repo: Path, tmp_path: Path) -> None:
    os.link(retire_repo / REFUND, tmp_path / "refund-copy.py")
    before = snapshot(retire_repo)
    refused(run("-C", retire_repo, "deprecate", FRAUD), f"{REFUND}: has 2 hard links")
    assert snapshot(retire_repo) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to someone else")
def test_a_rewritten_file_keeps_its_owner_and_group(retire_repo: Path) -> None:
    os.chown(retire_repo / REFUND, 4321, 8765)
    result = run("-C", retire_repo, "deprecate", FRAUD)
    assert result.exit_code == 0, result.stderr
    st = os.stat(retire_repo / REFUND)
    assert (st.st_uid, st.st_gid) == (4321, 8765)
