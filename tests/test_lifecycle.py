"""The whole life of a patch on a real git repository: Temporal's Python
patching sample (`patching/` in temporalio/samples-python) goes from its
initial stage to patched, deprecated and complete by running introduce,
deprecate and remove in sequence. Each result is compared with the expected
file in testdata/lifecycle, written by hand."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from gitrepo import committed_files, git, head, make_repo, status, trailers, write
from patchmod.cli import api
from retire_repo import run

STAGES = Path(__file__).resolve().parent.parent / "testdata" / "lifecycle"
PATCH_ID = "my-patch"
WORKFLOW = "patching/workflow.py"
DATES = {"introduced": datetime.date(2026, 3, 2), "deprecated": datetime.date(2026, 4, 6),
         "removed": datetime.date(2026, 5, 4)}
STEPS = [  # command, expected file, stage word
    ("introduce", "patched.py", "introduced"),
    ("deprecate", "deprecated.py", "deprecated"),
    ("remove", "complete.py", "removed"),
]


def stage(name: str) -> str:
    return (STAGES / name).read_text()


def with_fixed_dates(text: str) -> str:
    """A `Versioning History` line dated today (the command line has no
    date option) gets the date the expected file uses for its stage."""
    return re.sub(
        r"(?m)^(\s*- )\d{4}-\d{2}-\d{2}( (introduced|deprecated|removed) )",
        lambda m: f"{m[1]}{DATES[m[3]].isoformat()}{m[2]}", text,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "samples", {
        "patching/__init__.py": "",
        "patching/activities.py": stage("activities.py"),
        WORKFLOW: stage("initial.py"),
    }, message="patching sample: initial")
    write(repo, WORKFLOW, stage("edited.py"))
    return repo


def _run_step(repo: Path, command: str, word: str, via: str) -> None:
    if via == "api":
        call = getattr(api, command)
        report = call(repo, PATCH_ID, date=DATES[word])
        assert report["commit"] == head(repo)
    else:
        result = run("-C", repo, command, PATCH_ID)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        # Only the sample's id draws a remark: it names no version.
        assert [line for line in result.stderr.splitlines()
                if "is not descriptive-with-version" not in line] == []
        # The command line dates its changelog line today: pin it in the
        # file (and commit that) so the next step starts from the expected text.
        fixed = with_fixed_dates((repo / WORKFLOW).read_text())
        write(repo, WORKFLOW, fixed)
        git(repo, "commit", "-q", "--amend", "--no-edit", "--", WORKFLOW)


@pytest.mark.parametrize("via", ["api", "cli"])
def test_the_four_stages_of_temporals_patching_sample(sample: Path, via: str) -> None:
    repo = sample
    commits = []
    for command, expected, word in STEPS:
        before = head(repo)
        _run_step(repo, command, word, via)
        assert git(repo, "rev-parse", "HEAD^").strip() == before
        assert (repo / WORKFLOW).read_text() == stage(expected), f"after {command}"
        assert committed_files(repo) == [WORKFLOW]
        assert git(repo, "log", "-1", "--format=%s").strip() == f"patchmod: {command} {PATCH_ID}"
        assert trailers(repo) == [("Patch-Id", PATCH_ID), ("Patch-Stage", word)]
        assert status(repo) == ""
        commits.append(head(repo))
    # Three commits on top of the initial one, newest first.
    log = git(repo, "log", "--format=%H %s").splitlines()
    assert [line.split(" ", 1)[0] for line in log[:3]] == commits[::-1]
    assert log[3].endswith("patching sample: initial")
    assert len(log) == 4


def test_the_old_activity_import_goes_at_deprecate(sample: Path) -> None:
    """As in Temporal's sample: the patched stage imports both activities,
    the deprecated one only `post_patch_activity`."""
    repo = sample
    api.introduce(repo, PATCH_ID, date=DATES["introduced"])
    assert "import pre_patch_activity" in (repo / WORKFLOW).read_text()
    api.deprecate(repo, PATCH_ID, date=DATES["deprecated"])
    text = (repo / WORKFLOW).read_text()
    assert "pre_patch_activity" not in text
    assert "from patching.activities import post_patch_activity\n" in text


def test_each_stage_refuses_what_comes_out_of_order(sample: Path) -> None:
    repo = sample
    api.introduce(repo, PATCH_ID, date=DATES["introduced"])
    with pytest.raises(api.PatchmodError) as caught:
        api.remove(repo, PATCH_ID)  # still patched
    assert caught.value.lines[0].startswith(f"{WORKFLOW}:19: patched('{PATCH_ID}') is still here")
    api.deprecate(repo, PATCH_ID, date=DATES["deprecated"])
    assert api.deprecate(repo, PATCH_ID)["nothing_to_do"]  # twice: nothing left
    api.remove(repo, PATCH_ID, date=DATES["removed"])
    assert api.remove(repo, PATCH_ID)["nothing_to_do"]
    assert (repo / WORKFLOW).read_text() == stage("complete.py")
    # The id is retired: a new change needs a new id.
    write(repo, WORKFLOW, stage("complete.py").replace("minutes=5", "minutes=10"))
    with pytest.raises(api.PatchmodError) as caught:
        api.introduce(repo, PATCH_ID)
    assert any("Versioning History" in line for line in caught.value.lines)
    assert sum("Patch-Id trailer" in line for line in caught.value.lines) == 3
    report = api.introduce(repo, "longer-timeout-v1", commit=False)
    assert report["files"] == [WORKFLOW]


def test_the_expected_files_differ_only_where_each_step_says() -> None:
    """Fixture self-check: each stage file is its predecessor plus one
    history line and the step's own change."""
    assert stage("edited.py") == stage("initial.py").replace("pre_patch_activity", "post_patch_activity")
    assert 'if workflow.patched("my-patch"):' in stage("patched.py")
    assert 'workflow.deprecate_patch("my-patch")' in stage("deprecated.py")
    assert "my-patch\")" not in stage("complete.py")
    history = [line.strip() for line in stage("complete.py").splitlines() if line.strip().startswith("- 2026")]
    assert history == ["- 2026-03-02 introduced my-patch: run", "- 2026-04-06 deprecated my-patch",
                       "- 2026-05-04 removed my-patch"]
