"""The `Versioning History:` section of a workflow class docstring.

Each stage adds one line to every workflow class it touched:

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run

The docstring is edited as raw source text (escapes, prefixes and quotes stay
as they were); only the closing part of it changes.
"""

from __future__ import annotations

import datetime
import re

import libcst as cst

HEADING = "Versioning History:"
STAGES = ("introduced", "deprecated", "removed")

_STRING_START = re.compile(r"^(?P<prefix>[rRuU]?)(?P<quote>\"\"\"|'''|\"|')")


def history_entry(date: datetime.date, stage: str, patch_id: str, where: list[str] | None = None) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    entry = f"- {date.isoformat()} {stage} {patch_id}"
    if where:
        entry += ": " + ", ".join(where)
    return entry


def _docstring_node(body: cst.IndentedBlock) -> cst.SimpleString | None:
    if not body.body:
        return None
    first = body.body[0]
    if not (isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1):
        return None
    expr = first.body[0]
    if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.SimpleString):
        return expr.value
    return None


def _with_entry(raw: str, entry: str, indent: str, newline: str) -> str:
    match = _STRING_START.match(raw)
    if match is None:  # bytes or f-strings cannot be docstrings
        raise ValueError("not a docstring literal")
    prefix, quote = match["prefix"], match["quote"]
    text = raw[match.end() : len(raw) - len(quote)]
    if len(quote) == 1:
        quote = quote * 3
    lines = text.split(newline)
    line = indent + entry

    heading_at = next((i for i, text_line in enumerate(lines) if text_line.strip() == HEADING), None)
    if heading_at is not None:
        last = heading_at
        while last + 1 < len(lines) and lines[last + 1].strip().startswith("- "):
            last += 1
        lines.insert(last + 1, line)
        return prefix + quote + newline.join(lines) + quote

    if len(lines) == 1:
        body = lines[0].rstrip()
        tail = [indent + HEADING, line, indent]
        return prefix + quote + newline.join([body, "", *tail]) + quote
    closing = lines[-1]
    if closing.strip():
        # Closing quotes right after text: `    last words."""`.
        lines = [*lines, "", indent + HEADING, line, indent]
    else:
        head = lines[:-1]
        if head and head[-1].strip():
            head.append("")
        lines = [*head, indent + HEADING, line, closing]
    return prefix + quote + newline.join(lines) + quote


def add_history_line(classdef: cst.ClassDef, entry: str, *, indent: str, newline: str) -> cst.ClassDef:
    """`classdef` with `entry` under its docstring's `Versioning History:`.

    `indent` is the absolute indentation of the class body.
    """
    body = classdef.body
    if not isinstance(body, cst.IndentedBlock):
        raise ValueError(f"class {classdef.name.value} has a one-line body")
    docstring = _docstring_node(body)
    if docstring is not None:
        new_value = _with_entry(docstring.value, entry, indent, newline)
        first = body.body[0]
        assert isinstance(first, cst.SimpleStatementLine)
        expr = first.body[0]
        assert isinstance(expr, cst.Expr)
        new_first = first.with_changes(body=[expr.with_changes(value=docstring.with_changes(value=new_value))])
        return classdef.with_changes(body=body.with_changes(body=[new_first, *body.body[1:]]))

    value = '"""' + newline.join(["", indent + HEADING, indent + entry, indent]) + '"""'
    doc = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(value))])
    rest = list(body.body)
    if rest and not rest[0].leading_lines:
        rest[0] = rest[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    return classdef.with_changes(body=body.with_changes(body=[doc, *rest]))
