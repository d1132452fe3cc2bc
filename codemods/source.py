"""Source text as the codemods take it: parsed once with `ast`, a syntax
error turned into a refusal, a byte-order mark set aside and put back."""

from __future__ import annotations

import ast

from .findings import Side, refuse

BOM = "\ufeff"


def split_bom(text: str) -> tuple[str, str]:
    """(the byte-order mark or "", the rest): parsers reject the mark, and the
    file must keep it."""
    return (BOM, text[1:]) if text.startswith(BOM) else ("", text)


def parse_python(source: str, side: Side = "edited") -> ast.Module:
    """`ast.parse`, with a syntax error turned into a refusal at its line
    (CPython's line is the accurate one; libcst's can be off by one)."""
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise refuse(error.lineno or 1, f"syntax error: {error.msg}", side) from None
    except ValueError as error:  # null bytes
        raise refuse(1, f"cannot parse: {error}", side) from None
