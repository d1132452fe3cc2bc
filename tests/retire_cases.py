"""Walking testdata/deprecate/ and testdata/remove/: the case layout their
READMEs define, shared by both fixture tests.

A case folder holds before.py, an optional one-line ids.txt, and exactly one
outcome: expected.py, refused.txt (`LINE: SUBSTRING` a finding) or
nothing.txt (one line saying why).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from patchmod.codemods.findings import Finding

TESTDATA = Path(__file__).resolve().parent.parent / "testdata"
DEFAULT_IDS = ["add-fraud-check-v1"]
OUTCOMES = ("expected.py", "refused.txt", "nothing.txt")
MARKER_LINE = re.compile(r"^\s*(?:[\w.]+\.)?deprecate_patch\(\"(?P<id>[^\"]+)\"\)\s*$")
_EXPECTATION = re.compile(r"^(?P<line>\d+):\s*(?P<text>.+?)\s*$")


@dataclass
class Expectation:
    line: int
    text: str

    def matches(self, finding: Finding) -> bool:
        return finding.line == self.line and self.text.lower() in finding.message.lower()

    def __str__(self) -> str:
        return f"{self.line}: {self.text}"


def expectations(path: Path) -> list[Expectation]:
    found = []
    for raw in path.read_text().splitlines():
        if not raw.strip():
            continue
        match = _EXPECTATION.match(raw)
        assert match, f"{path}: not `LINE: SUBSTRING`: {raw!r}"
        found.append(Expectation(int(match["line"]), match["text"]))
    return found


def cases(stage: str) -> list[Path]:
    return sorted(p for p in (TESTDATA / stage).iterdir() if (p / "before.py").is_file())


def with_outcome(found: list[Path], outcome: str) -> list[Path]:
    return [c for c in found if (c / outcome).exists()]


def params(found: list[Path], known_bugs: dict[str, str]) -> list:
    """One pytest param a case; a known bug runs as xfail(strict=True), so a
    fix makes it fail until the entry goes."""
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason=known_bugs[c.name])] if c.name in known_bugs else [],
        )
        for c in found
    ]


def read(case: Path, name: str) -> str:
    return (case / name).read_text()


def ids_of(case: Path) -> list[str]:
    if (case / "ids.txt").exists():
        return read(case, "ids.txt").split()
    return list(DEFAULT_IDS)


def diff(want: str, got: str, label: str) -> str:
    return "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected.py", label))


def show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.line}: {f.message}" for f in findings) or "  (none)"


def check_refusal(case: Path, findings: list[Finding]) -> None:
    """Every expected finding is there, and no other."""
    unmatched = list(findings)
    missing = []
    for expectation in expectations(case / "refused.txt"):
        hit = next((f for f in unmatched if expectation.matches(f)), None)
        if hit is None:
            missing.append(str(expectation))
        else:
            unmatched.remove(hit)
    assert not missing and not unmatched, (
        f"refusal of {case.name}:\n missing: {missing}\n unexpected:\n{show(unmatched)}\n all:\n{show(findings)}"
    )


def check_result(case: Path, stage: str, run, differences) -> None:
    """The case's outcome: `run(source, ids)` is the codemod, `differences`
    the projection check of before -> result."""
    from patchmod.codemods.findings import Refusal

    before, ids = read(case, "before.py"), ids_of(case)
    if (case / "refused.txt").exists():
        with pytest.raises(Refusal) as raised:
            run(before, ids)
        check_refusal(case, raised.value.findings)
        return

    result = run(before, ids)
    if (case / "nothing.txt").exists():
        assert result.code == before, f"nothing to {stage}, yet the code changed:\n" + diff(before, result.code, stage)
        assert not result.sites and not result.classes, f"{case.name}: sites {result.sites}, classes {result.classes}"
        assert not result.warnings, show(result.warnings)
        return

    expected = read(case, "expected.py")
    if result.code != expected:
        pytest.fail(f"{case.name}: result differs from expected.py\n" + diff(expected, result.code, f"{stage} result"), pytrace=False)
    assert result.sites, f"{case.name}: the code was rewritten but no site was reported"
    assert not result.warnings, f"{case.name}: a {stage} warns of nothing, got:\n{show(result.warnings)}"
    found = differences(before, result.code, ids)
    assert not found, "\n\n".join(found)
    # Once committed, a second run of the same ids has nothing to do.
    again = run(result.code, ids)
    assert again.code == result.code and not again.sites, diff(result.code, again.code, f"second {stage}")


def check_well_formed(case: Path) -> None:
    present = [name for name in OUTCOMES if (case / name).exists()]
    assert len(present) == 1, f"{case.name}: exactly one of {OUTCOMES}, found {present}"
    broken = (case / "refused.txt").exists() and "syntax" in read(case, "refused.txt").lower()
    for name in ("before.py", "expected.py", "ids.txt", "refused.txt", "nothing.txt"):
        if (case / name).exists():
            text = read(case, name)
            assert "\r" not in text and text.endswith("\n"), f"{case.name}/{name}: LF endings, final newline"
            if name.endswith(".py") and not broken:
                compile(text, f"{case.name}/{name}", "exec")
    if (case / "ids.txt").exists():
        assert len(read(case, "ids.txt").splitlines()) == 1 and ids_of(case), f"{case.name}/ids.txt: one line of ids"
    if (case / "refused.txt").exists():
        assert expectations(case / "refused.txt"), f"{case.name}/refused.txt is empty"
        before_lines = read(case, "before.py").splitlines()
        for expectation in expectations(case / "refused.txt"):
            assert 1 <= expectation.line <= len(before_lines), f"{case.name}: line {expectation.line} is not in before.py"
    if (case / "nothing.txt").exists():
        assert read(case, "nothing.txt").strip(), f"{case.name}/nothing.txt says why in one line"
