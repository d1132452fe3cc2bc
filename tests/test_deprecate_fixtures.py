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
from pathlib import Path

import pytest
from patchmod.codemods import projection
from retire_cases import (
    MARKER_LINE,
    cases,
    check_result,
    check_well_formed,
    ids_of,
    params,
    read,
    with_outcome,
)

DATE = datetime.date(2026, 12, 22)
CASES = cases("deprecate")
EXPECTED = with_outcome(CASES, "expected.py")
NOTHING = with_outcome(CASES, "nothing.txt")

# Cases the implementation gets wrong today: case -> the bug.
KNOWN_BUGS: dict[str, str] = {}


def _deprecate(source: str, ids: list[str]):
    from patchmod.codemods.deprecate import deprecate_patches

    return deprecate_patches(source, ids, date=DATE)


@pytest.mark.parametrize("case", params(CASES, KNOWN_BUGS))
def test_deprecate_case(case: Path) -> None:
    check_result(case, "deprecate", _deprecate, projection.deprecate_differences)


# -- the fixtures themselves, without the implementation ----------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_well_formed(case: Path) -> None:
    check_well_formed(case)


@pytest.mark.parametrize("case", EXPECTED, ids=[c.name for c in EXPECTED])
def test_expected_fixture_keeps_the_rule(case: Path) -> None:
    before, expected, ids = read(case, "before.py"), read(case, "expected.py"), ids_of(case)
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
        match = MARKER_LINE.match(line)
        if match and match["id"] in ids:
            without = "".join(lines[:number] + lines[number + 1 :])
            assert projection.deprecate_differences(before, without, ids), (
                f"{case.name}: the oracle misses a dropped marker at line {number + 1}"
            )


@pytest.mark.parametrize("case", NOTHING, ids=[c.name for c in NOTHING])
def test_nothing_fixture_has_no_site(case: Path) -> None:
    before = read(case, "before.py")
    assert not set(ids_of(case)) & set(projection.patch_ids(before))


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
