"""Large modules: deprecate and remove cut out the top-level functions and
classes that cannot change before libcst parses the module
(`codemods.retire.rewrite_focused`), and put them back byte for byte.

The cut must never show: on every deprecate and remove fixture, as is and
with untouchable code added before and after (code that uses every import
the fixture has, so that no import may go), the focused rewrite equals the
whole-module rewrite: text, sites, lines, classes, warnings, refusals.
A 5 MB generated module is deprecated and removed in bounded time.
"""

from __future__ import annotations

import ast
import datetime
import time
from pathlib import Path

import pytest
from gitrepo import file_at, make_repo, status
from patchmod.codemods import retire
from patchmod.codemods.deprecate import deprecate_patches
from patchmod.codemods.findings import Refusal
from patchmod.codemods.remove import remove_patches
from retire_cases import cases, ids_of, read
from retire_repo import run
from test_hostile_input import generated_module

DATE = datetime.date(2026, 12, 22)
CASES = [("deprecate", c) for c in cases("deprecate")] + [("remove", c) for c in cases("remove")]
CODEMODS = {"deprecate": deprecate_patches, "remove": remove_patches}


def outcome(command: str, source: str, ids: list[str]):
    try:
        result = CODEMODS[command](source, ids, date=DATE)
    except Refusal as refusal:
        return ("refused", [(f.line, f.message, f.side) for f in refusal.findings])
    return (result.code, result.sites, result.classes, [(w.line, w.message) for w in result.warnings])


def imported_names(source: str) -> list[str]:
    names = []
    try:
        body = ast.parse(source.lstrip("\ufeff")).body
    except SyntaxError:
        return []  # the padded copy gets no untouchable code; the case is its syntax error
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"]
    return names


def with_untouchable_code(source: str) -> str:
    """`source` with a function and a workflow class that spell no id, and
    use every imported name, before its first class and at its end."""
    uses = ", ".join(imported_names(source)) or "None"
    filler = (
        f"\n\ndef _untouched_helper():\n    # a comment\n    return ({uses},)\n\n\n"
        f"@workflow.defn\nclass UntouchedWorkflow:\n    @workflow.run\n    async def run(self) -> None:\n"
        f"        return None\n\n"
    )
    lines = source.splitlines(keepends=True)
    first_class = next((i for i, line in enumerate(lines) if line.startswith(("class ", "@workflow.defn"))), len(lines))
    return "".join(lines[:first_class]) + filler + "".join(lines[first_class:]) + filler


# Padded too where the untouchable workflow class can be added: where the
# case binds `workflow` (the others are syntax errors or bare-name imports).
RUNS = [(command, case, padded) for command, case in CASES for padded in (False, True)
        if not padded or "workflow" in imported_names(read(case, "before.py"))]


@pytest.mark.parametrize("command, case, padded", RUNS,
                         ids=[f"{c}-{p.name}-{'padded' if padded else 'as-is'}" for c, p, padded in RUNS])
def test_the_focused_rewrite_equals_the_whole_one(command: str, case: Path, padded: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    source = read(case, "before.py")
    if padded:
        source = with_untouchable_code(source)
    ids = ids_of(case)
    whole = outcome(command, source, ids)
    monkeypatch.setattr(retire, "FOCUS_MIN_CHARS", 0)
    if padded and imported_names(source):
        assert retire._focus(source.lstrip("\ufeff"), ids) is not None  # the cut happens
    assert outcome(command, source, ids) == whole


def test_focus_keeps_an_import_only_untouched_code_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    source = '''\
from temporalio import workflow
from acts import old_step, new_step


def legacy():
    return old_step


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self) -> None:
        if workflow.patched("step-v2"):
            await workflow.execute_activity(new_step)
        else:
            await workflow.execute_activity(old_step)
'''
    monkeypatch.setattr(retire, "FOCUS_MIN_CHARS", 0)
    assert retire._focus(source, ["step-v2"]) is not None  # `legacy` is cut out
    result = deprecate_patches(source, ["step-v2"], date=DATE)
    assert "from acts import old_step, new_step" in result.code
    assert [s.line for s in result.sites] == [13]


def test_a_module_of_three_hundred_classes_focused_and_whole_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    source = generated_module(300, "gen-extra-step-v1").replace("\n", "\r\n")
    assert len(source) > retire.FOCUS_MIN_CHARS
    focused = outcome("deprecate", source, ["gen-extra-step-v1"])
    monkeypatch.setattr(retire, "FOCUS_MIN_CHARS", 10**12)
    assert outcome("deprecate", source, ["gen-extra-step-v1"]) == focused
    assert focused[1][0].line == source.splitlines().index('        if workflow.patched("gen-extra-step-v1"):') + 1


def test_deprecate_and_remove_a_five_megabyte_module(tmp_path: Path) -> None:
    text = generated_module(15000, "gen-extra-step-v1")
    assert len(text) > 5_000_000
    root = make_repo(tmp_path / "big", {"generated/flows.py": text})
    for command in ("deprecate", "remove"):
        started = time.monotonic()
        result = run("-C", root, command, "gen-extra-step-v1")
        assert result.exit_code == 0, result.stderr
        assert "at 1 site in 1 file" in result.stdout
        assert time.monotonic() - started < 60, command
        assert status(root) == ""
    after = (root / "generated/flows.py").read_text()
    assert after.count("Versioning History") == 1
    assert "gen-extra-step-v1" not in after.replace("deprecated gen-extra-step-v1", "").replace(
        "removed gen-extra-step-v1", "")
    assert file_at(root, "HEAD", "generated/flows.py") == after.encode()
    # Outside Generated7500Workflow, every byte is as generated.
    start = text.index("class Generated7500Workflow")
    end = text.index("@workflow.defn", start)
    assert after[:start] == text[:start]
    assert after[-(len(text) - end):] == text[end:]
