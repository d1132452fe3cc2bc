"""Every folder under testdata/introduce/ is one case (its README is the contract).

Each case runs twice: in this process, and in the child process the command
line hands the rewrite to (cli/codemod_child.py), whose results and
refusals come back through a pipe.

- expected.py: `introduce_patch` gives exactly that text, and the result keeps
  DESIGN.md's rule in every reachable world (projection check).
- refused.txt: `Refusal` with a finding at `LINE` (edited.py) or `base:LINE`
  whose message contains the substring.
- nothing.txt: the result is edited.py itself and no region is reported.
- warnings.txt: each `LINE: SUBSTRING` matches one warning, and there are no
  others (a case without the file expects none). notes.txt: the same for
  notes (a changed pinned workflow class needs no patch).

The fixture checks at the bottom need no implementation: they keep the
hand-written expected files honest against the projection oracle.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from patchmod.codemods import projection
from patchmod.codemods.findings import Finding, Refusal

CASES_DIR = Path(__file__).resolve().parent.parent / "testdata" / "introduce"
PATCH_ID = "new-feature-v1"
DATE = datetime.date(2026, 11, 21)
OUTCOMES = ("expected.py", "refused.txt", "nothing.txt")
_EXPECTATION = re.compile(r"^(?:(?P<side>base):)?(?P<line>\d+):\s*(?P<text>.+?)\s*$")


@dataclass
class Expectation:
    line: int
    text: str
    side: str  # "edited" or "base"

    def matches(self, finding: Finding) -> bool:
        return (
            finding.line == self.line
            and finding.side == self.side
            and self.text.lower() in finding.message.lower()
        )

    def __str__(self) -> str:
        return f"{'base:' if self.side == 'base' else ''}{self.line}: {self.text}"


def _expectations(path: Path) -> list[Expectation]:
    found = []
    for raw in path.read_text().splitlines():
        if not raw.strip():
            continue
        match = _EXPECTATION.match(raw)
        assert match, f"{path}: not `LINE: SUBSTRING` or `base:LINE: SUBSTRING`: {raw!r}"
        found.append(Expectation(int(match["line"]), match["text"], match["side"] or "edited"))
    return found


def _cases() -> list[Path]:
    return sorted(p for p in CASES_DIR.iterdir() if (p / "base.py").is_file())


CASES = _cases()
EXPECTED = [c for c in CASES if (c / "expected.py").exists()]
NOTHING = [c for c in CASES if (c / "nothing.txt").exists()]


def _read(case: Path, name: str) -> str:
    return (case / name).read_text()


def _diff(want: str, got: str) -> str:
    return "".join(
        difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected.py", "introduce result")
    )


@pytest.fixture(scope="module")
def child():
    from patchmod.cli.codemod_child import CodemodChild

    started = CodemodChild()
    yield started
    started.close()


@pytest.fixture(params=["here", "child"])
def introduce(request):
    """introduce_patch(base, edited, patch_id), run here or in the child."""
    if request.param == "here":
        from patchmod.codemods.introduce import introduce_patch
    else:
        child = request.getfixturevalue("child")

        def introduce_patch(*args, **kwargs):
            result = child.call("introduce_patch", *args, **kwargs)
            assert child.alive, "the child died: the result came from this process"
            return result

    return lambda base, edited, patch_id=PATCH_ID: introduce_patch(base, edited, patch_id, date=DATE)


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.side}:{f.line}: {f.message}" for f in findings) or "  (none)"


def _check_warnings(case: Path, warnings: list[Finding], name: str = "warnings.txt") -> None:
    wanted = _expectations(case / name) if (case / name).exists() else []
    unmatched = list(warnings)
    missing = []
    for expectation in wanted:
        hit = next((w for w in unmatched if expectation.matches(w)), None)
        if hit is None:
            missing.append(expectation)
        else:
            unmatched.remove(hit)
    assert not missing and not unmatched, (
        f"{name.removesuffix('.txt')} of {case.name}:\n missing: {[str(m) for m in missing]}\n unexpected:\n{_show(unmatched)}"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_introduce_case(case: Path, introduce) -> None:
    base, edited = _read(case, "base.py"), _read(case, "edited.py")

    if (case / "refused.txt").exists():
        [wanted] = _expectations(case / "refused.txt")[:1]
        with pytest.raises(Refusal) as raised:
            introduce(base, edited)
        findings = raised.value.findings
        assert any(wanted.matches(f) for f in findings), (
            f"refusal of {case.name} lacks `{wanted}`; it said:\n{_show(findings)}"
        )
        return

    result = introduce(base, edited)

    if (case / "nothing.txt").exists():
        assert result.regions == [], f"{case.name} needs no patch, got regions {result.regions}"
        assert result.code == edited, "a case with nothing to patch must come back as edited:\n" + _diff(
            edited, result.code
        )
        _check_warnings(case, result.warnings)
        _check_warnings(case, result.notes, "notes.txt")
        return

    expected = _read(case, "expected.py")
    assert result.code == expected, f"{case.name}: result differs from expected.py\n" + _diff(expected, result.code)
    assert result.regions, f"{case.name}: the code was rewritten but no region was reported"
    differences = projection.introduce_differences(base, edited, result.code, PATCH_ID)
    assert not differences, "\n\n".join(differences)
    _check_warnings(case, result.warnings)
    _check_warnings(case, result.notes, "notes.txt")

    # Once committed, the result is both base and working tree: a later
    # introduce finds nothing to wrap and leaves every byte alone.
    again = introduce(result.code, result.code, "another-feature-v1")
    assert again.regions == [] and again.code == result.code, _diff(result.code, again.code)


# -- the fixtures themselves, without the implementation ----------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_well_formed(case: Path) -> None:
    present = [name for name in OUTCOMES if (case / name).exists()]
    assert len(present) == 1, f"{case.name}: exactly one of {OUTCOMES}, found {present}"
    assert (case / "edited.py").is_file()
    # A case about a syntax error says so in its refusal; every other file compiles.
    broken = (case / "refused.txt").exists() and "syntax" in _read(case, "refused.txt").lower()
    for name in ("base.py", "edited.py", "expected.py"):
        if (case / name).exists():
            text = _read(case, name)
            if not broken:
                compile(text, f"{case.name}/{name}", "exec")
            assert "\r" not in text and text.endswith("\n"), f"{case.name}/{name}: LF endings, final newline"
    assert _read(case, "base.py") != _read(case, "edited.py"), f"{case.name}: the edit changes nothing"
    for name in ("refused.txt", "warnings.txt", "notes.txt"):
        if (case / name).exists():
            assert _expectations(case / name), f"{case.name}/{name} is empty"
    if (case / "nothing.txt").exists():
        assert _read(case, "nothing.txt").strip(), f"{case.name}/nothing.txt says why in one line"
    if (case / "warnings.txt").exists():
        assert not (case / "refused.txt").exists(), "a refusal writes nothing, so it warns of nothing"


@pytest.mark.parametrize("case", EXPECTED, ids=[c.name for c in EXPECTED])
def test_expected_fixture_keeps_the_rule(case: Path) -> None:
    base, edited, expected = (_read(case, n) for n in ("base.py", "edited.py", "expected.py"))
    assert not projection.introduce_differences(base, edited, expected, PATCH_ID)
    # ...and the check has teeth here: the unwrapped edit breaks old executions.
    assert projection.introduce_differences(base, edited, edited, PATCH_ID)
    assert f'"{PATCH_ID}"' in expected and f"introduced {PATCH_ID}" in expected


@pytest.mark.parametrize("case", NOTHING, ids=[c.name for c in NOTHING])
def test_nothing_fixture_really_behaves_as_base(case: Path) -> None:
    base, edited = _read(case, "base.py"), _read(case, "edited.py")
    existing = projection.patch_ids(base)
    pinned = projection.pinned_functions(base)  # pinned workflows keep their build: nothing to keep
    for truth in projection.reachable_worlds(existing, PATCH_ID):
        world = projection.World(truth)
        functions = [f for f in projection.project(base, world) if f not in pinned]
        assert not projection.behaves_as(edited, world, base, world, functions=functions)
