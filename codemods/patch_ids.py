"""Patch ids: what a valid one looks like and where a used one is remembered."""

from __future__ import annotations

import re

MAX_LENGTH = 100
_FORBIDDEN = set("'\"\\`")

# A changelog line, as the docstring section holds it:
#     - 2026-11-21 introduced add-fraud-check-v1: run
HISTORY_LINE = re.compile(
    r"^\s*-\s+(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<stage>introduced|deprecated|removed)"
    r"\s+(?P<id>[^\s:]+)(?::\s*(?P<where>.*))?$",
    re.MULTILINE,
)

_VERSIONED = re.compile(r"^(?P<words>[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*)[-_.]v\d+$")
_VAGUE_WORDS = {"fix", "patch", "change", "changes", "update", "temp", "tmp", "test", "new", "hotfix", "bugfix", "v"}


def invalid_reason(patch_id: str) -> str | None:
    """Why `patch_id` cannot be used at all, or None when it can."""
    if not patch_id:
        return "a patch id cannot be empty"
    if len(patch_id) > MAX_LENGTH:
        return f"a patch id has at most {MAX_LENGTH} characters, this one has {len(patch_id)}"
    if any(ch.isspace() for ch in patch_id):
        return "a patch id cannot contain whitespace or newlines"
    if any(ch in _FORBIDDEN for ch in patch_id):
        return "a patch id cannot contain quotes, backquotes or backslashes"
    if not patch_id.isprintable():
        return "a patch id cannot contain control characters"
    if ":" in patch_id:
        # The changelog line separates the id from the methods with a colon.
        return "a patch id cannot contain ':'"
    return None


def vague_reason(patch_id: str) -> str | None:
    """Why `patch_id` is legal but says too little (a warning, not a refusal)."""
    match = _VERSIONED.match(patch_id)
    if not match:
        return (
            f"patch id {patch_id!r} is not descriptive-with-version; "
            "prefer what-it-does plus a version, e.g. 'add-fraud-check-v1'"
        )
    words = [w for w in re.split(r"[-_.]", match["words"].lower()) if w]
    if not any(len(w) >= 3 and w not in _VAGUE_WORDS and not w.isdigit() for w in words):
        return (
            f"patch id {patch_id!r} does not say what changed; "
            "prefer what-it-does plus a version, e.g. 'add-fraud-check-v1'"
        )
    return None


def history_ids(source: str) -> dict[str, list[str]]:
    """Ids named by changelog lines in `source`, each with the stages seen."""
    seen: dict[str, list[str]] = {}
    for m in HISTORY_LINE.finditer(source):
        seen.setdefault(m["id"], []).append(m["stage"])
    return seen
