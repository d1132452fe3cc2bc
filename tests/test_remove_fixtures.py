"""Every folder under testdata/remove/ is one case (its README is the contract).

- expected.py: `remove_patches` gives exactly that text; the result behaves
  as before.py in every world of the ids still patched, the other ids'
  `deprecate_patch` markers in their places (`projection.remove_differences`);
  a second remove of the result has nothing to do.
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

DATE = datetime.date(2027, 1, 5)
CASES = cases("remove")
EXPECTED = with_outcome(CASES, "expected.py")
NOTHING = with_outcome(CASES, "nothing.txt")

# Cases the implementation gets wrong today: case -> the bug.
KNOWN_BUGS: dict[str, str] = {}


def _remove(source: str, ids: list[str]):
    from patchmod.codemods.remove import remove_patches

    return remove_patches(source, ids, date=DATE)


@pytest.mark.parametrize("case", params(CASES, KNOWN_BUGS))
def test_remove_case(case: Path) -> None:
    check_result(case, "remove", _remove, projection.remove_differences)


# -- the fixtures themselves, without the implementation ----------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_is_well_formed(case: Path) -> None:
    check_well_formed(case)


@pytest.mark.parametrize("case", EXPECTED, ids=[c.name for c in EXPECTED])
def test_expected_fixture_keeps_the_rule(case: Path) -> None:
    before, expected, ids = read(case, "before.py"), read(case, "expected.py"), ids_of(case)
    assert not projection.remove_differences(before, expected, ids)
    for patch_id in ids:
        assert f'deprecate_patch("{patch_id}")' in before, f"{case.name}: before.py has no marker of {patch_id}"
        assert f'deprecate_patch("{patch_id}")' not in expected, f"{case.name}: a marker of {patch_id} is left"
        assert f"removed {patch_id}\n" in expected, f"{case.name}: no changelog line for {patch_id}"
    # ...and the check has teeth here: another id's marker dropped, or an
    # activity called differently, is a difference.
    lines = expected.splitlines(True)
    for number, line in enumerate(lines):
        match = MARKER_LINE.match(line)
        if match and match["id"] not in ids:
            without = "".join(lines[:number] + lines[number + 1 :])
            assert projection.remove_differences(before, without, ids), (
                f"{case.name}: the oracle misses another id's marker dropped at line {number + 1}"
            )
    assert "_to_close_timeout=" in expected, f"{case.name}: no activity call to vary, the check proves nothing"
    varied = expected.replace("_to_close_timeout=", "_to_close_timeout_varied=", 1)
    assert projection.remove_differences(before, varied, ids), f"{case.name}: the oracle misses a changed call"


@pytest.mark.parametrize("case", NOTHING, ids=[c.name for c in NOTHING])
def test_nothing_fixture_has_no_marker(case: Path) -> None:
    before = read(case, "before.py")
    assert not set(ids_of(case)) & set(projection.marker_ids(before) + projection.patch_ids(before))
