"""Every folder under testdata/deprecate/ is one case (its README is the contract).

- expected.py: `deprecate_patches` gives exactly that text; the result keeps
  DESIGN.md's rule in every world of the other ids, with its
  `deprecate_patch` markers exactly where `patched` was evaluated
  (`projection.deprecate_differences`); a second deprecate of the result
  has nothing to do.
- refused.txt: `Refusal` whose findings are exactly the `LINE: SUBSTRING`
  lines of the file.
- nothing.txt: the code comes back byte for byte and no site is reported.

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

CASES_DIR = Path(__file__).resolve().parent.parent / "testdata" / "deprecate"
DEFAULT_IDS = ["add-fraud-check-v1"]
DATE = datetime.date(2026, 12, 22)
OUTCOMES = ("expected.py", "refused.txt", "nothing.txt")
_EXPECTATION = re.compile(r"^(?P<line>\d+):\s*(?P<text>.+?)\s*$")
_MARKER_LINE = re.compile(r"^\s*(?:[\w.]+\.)?deprecate_patch\(\"(?P<id>[^\"]+)\"\)\s*$")

# Cases the implementation gets wrong today: case -> the bug. Each runs as
# xfail(strict=True), so a fix makes it fail until the entry goes.
KNOWN_BUGS: dict[str, str] = {}


@dataclass
class Expectation:
    line: int
    text: str

    def matches(self, finding: Finding) -> bool:
        return finding.line == self.line and self.text.lower() in finding.message.lower()

    def __str__(self) -> str:
        return f"{self.line}: {self.text}"


def _expectations(path: Path) -> list[Expectation]:
    found = []
    for raw in path.read_text().splitlines():
        if not raw.strip():
            continue
        match = _EXPECTATION.match(raw)
        assert match, f"{path}: not `LINE: SUBSTRING`: {raw!r}"
        found.append(Expectation(int(match["line"]), match["text"]))
    return found


def _cases() -> list[Path]:
    return sorted(p for p in CASES_DIR.iterdir() if (p / "before.py").is_file())


CASES = _cases()
EXPECTED = [c for c in CASES if (c / "expected.py").exists()]
NOTHING = [c for c in CASES if (c / "nothing.txt").exists()]


def _params(cases: list[Path]) -> list:
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c.name])] if c.name in KNOWN_BUGS else [],
        )
        for c in cases
    ]


def _read(case: Path, name: str) -> str:
    return (case / name).read_text()


def _ids(case: Path) -> list[str]:
    if (case / "ids.txt").exists():
        return _read(case, "ids.txt").split()
    return list(DEFAULT_IDS)


def _diff(want: str, got: str, label: str = "deprecate result") -> str:
    return "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected.py", label))


def _deprecate(source: str, ids: list[str]):
    from patchmod.codemods.deprecate import deprecate_patches

    return deprecate_patches(source, ids, date=DATE)


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {f.line}: {f.message}" for f in findings) or "  (none)"


def check_refusal(case: Path, findings: list[Finding]) -> None:
    """Every expected finding is there, and no other."""
    unmatched = list(findings)
    missing = []
    for expectation in _expectations(case / "refused.txt"):
        hit = next((f for f in unmatched if expectation.matches(f)), None)
        if hit is None:
            missing.append(str(expectation))
        else:
            unmatched.remove(hit)
    assert not missing and not unmatched, (
        f"refusal of {case.name}:\n missing: {missing}\n unexpected:\n{_show(unmatched)}\n all:\n{_show(findings)}"
    )


@pytest.mark.parametrize("case", _params(CASES))
def test_deprecate_case(case: Path) -> None:
    before, ids = _read(case, "before.py"), _ids(case)

    if (case / "refused.txt").exists():
        with pytest.raises(Refusal) as raised:
            _deprecate(before, ids)
        check_refusal(case, raised.value.findings)
        return

    result = _deprecate(before, ids)

    if (case / "nothing.txt").exists():
        assert result.code == before, "nothing to deprecate, yet the code changed:\n" + _diff(before, result.code)
        assert not result.sites and not result.classes, f"{case.name}: sites {result.sites}, classes {result.classes}"
        assert not result.warnings, _show(result.warnings)
        return

    expected = _read(case, "expected.py")
    if result.code != expected:
        pytest.fail(f"{case.name}: result differs from expected.py\n" + _diff(expected, result.code), pytrace=False)
    assert result.sites, f"{case.name}: the code was rewritten but no site was reported"
    assert not result.warnings, f"{case.name}: a deprecate warns of nothing, got:\n{_show(result.warnings)}"
    differences = projection.deprecate_differences(before, result.code, ids)
    assert not differences, "\n\n".join(differences)

    # Once committed, a second deprecate of the same ids has nothing to do.
    again = _deprecate(result.code, ids)
    assert again.code == result.code and not again.sites, _diff(result.code, again.code, "second deprecate")


# -- the fixtures themselves, without the implementation ----------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_well_formed(case: Path) -> None:
    present = [name for name in OUTCOMES if (case / name).exists()]
    assert len(present) == 1, f"{case.name}: exactly one of {OUTCOMES}, found {present}"
    broken = (case / "refused.txt").exists() and "syntax" in _read(case, "refused.txt").lower()
    for name in ("before.py", "expected.py", "ids.txt", "refused.txt", "nothing.txt"):
        if (case / name).exists():
            text = _read(case, name)
            assert "\r" not in text and text.endswith("\n"), f"{case.name}/{name}: LF endings, final newline"
            if name.endswith(".py") and not broken:
                compile(text, f"{case.name}/{name}", "exec")
    if (case / "ids.txt").exists():
        assert len(_read(case, "ids.txt").splitlines()) == 1 and _ids(case), f"{case.name}/ids.txt: one line of ids"
    if (case / "refused.txt").exists():
        assert _expectations(case / "refused.txt"), f"{case.name}/refused.txt is empty"
        before_lines = _read(case, "before.py").splitlines()
        for expectation in _expectations(case / "refused.txt"):
            assert 1 <= expectation.line <= len(before_lines), f"{case.name}: line {expectation.line} is not in before.py"
    if (case / "nothing.txt").exists():
        assert _read(case, "nothing.txt").strip(), f"{case.name}/nothing.txt says why in one line"


@pytest.mark.parametrize("case", EXPECTED, ids=[c.name for c in EXPECTED])
def test_expected_fixture_keeps_the_rule(case: Path) -> None:
    before, expected, ids = _read(case, "before.py"), _read(case, "expected.py"), _ids(case)
    assert not projection.deprecate_differences(before, expected, ids)
    # ...and the check has teeth here: before.py itself is not deprecated.
    assert projection.deprecate_differences(before, before, ids)
    for patch_id in ids:
        assert f'patched("{patch_id}")' not in expected, f"{case.name}: a site of {patch_id} is left"
        assert f'deprecate_patch("{patch_id}")' in expected
        assert f"deprecated {patch_id}\n" in expected, f"{case.name}: no changelog line for {patch_id}"
    # Every marker counts: without any one of them the check fails.
    lines = expected.splitlines(True)
    for number, line in enumerate(lines):
        match = _MARKER_LINE.match(line)
        if match and match["id"] in ids:
            without = "".join(lines[:number] + lines[number + 1 :])
            assert projection.deprecate_differences(before, without, ids), (
                f"{case.name}: the oracle misses a dropped marker at line {number + 1}"
            )


@pytest.mark.parametrize("case", NOTHING, ids=[c.name for c in NOTHING])
def test_nothing_fixture_has_no_site(case: Path) -> None:
    before = _read(case, "before.py")
    assert not set(_ids(case)) & set(projection.patch_ids(before))


# -- the oracle's placement rule, on the smallest modules ----------------------


def _module(body: str) -> str:
    lines = "\n".join("        " + line for line in body.strip().splitlines())
    return (
        "from temporalio import workflow\n\n\n@workflow.defn\nclass Flow:\n"
        f"    @workflow.run\n    async def run(self, y) -> None:\n{lines}\n"
    )


@pytest.mark.parametrize(
    "before, result",
    [
        ('if workflow.patched("p"):\n    await a()', 'workflow.deprecate_patch("p")\nawait a()'),
        ('x = 1 if workflow.patched("p") else 2', 'workflow.deprecate_patch("p")\nx = 1'),
        ('if y and workflow.patched("p"):\n    await a()', 'if y:\n    workflow.deprecate_patch("p")\n    await a()'),
        (
            'if y:\n    await b()\nelif workflow.patched("p"):\n    await a()',
            'if y:\n    await b()\nelse:\n    workflow.deprecate_patch("p")\n    await a()',
        ),
    ],
)
def test_oracle_accepts_the_marker_where_the_call_ran(before: str, result: str) -> None:
    assert not projection.deprecate_differences(_module(before), _module(result), ["p"])


@pytest.mark.parametrize(
    "before, result",
    [
        # moved across a command
        ('await b()\nif workflow.patched("p"):\n    await a()', 'await b()\nawait a()\nworkflow.deprecate_patch("p")'),
        ('await b()\nif workflow.patched("p"):\n    await a()', 'workflow.deprecate_patch("p")\nawait b()\nawait a()'),
        # put where the call did not always run
        ('if y and workflow.patched("p"):\n    await a()', 'workflow.deprecate_patch("p")\nif y:\n    await a()'),
        ('if y or workflow.patched("p"):\n    await a()', 'workflow.deprecate_patch("p")\nawait a()'),
        ('await workflow.wait_condition(lambda: workflow.patched("p"))', 'workflow.deprecate_patch("p")\nawait workflow.wait_condition(lambda: True)'),
        # forgotten
        ('if workflow.patched("p"):\n    await a()', "await a()"),
    ],
)
def test_oracle_rejects_a_misplaced_marker(before: str, result: str) -> None:
    assert projection.deprecate_differences(_module(before), _module(result), ["p"])
