"""How findings, warnings and results are shown: lines for people, JSON for bots."""

from __future__ import annotations

import json
from typing import Any

import click


def location(path: str | None, line: int | None, side: str = "edited", base: str | None = None) -> str:
    """`path:line` (working tree) or `path@BASE:line` (a line of the base text)."""
    if path is None:
        return ""
    where = f"{path}@{base}" if side == "base" and base else path
    return f"{where}:{line}" if line else where


def finding_line(path: str | None, line: int | None, message: str, *, side: str = "edited",
                 base: str | None = None, warning: bool = False) -> str:
    """One finding as `path:line: message` (`warning: ` before warnings)."""
    where = location(path, line, side, base)
    label = "warning: " if warning else ""
    return f"{where}: {label}{message}" if where else f"{label}{message}"


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2))


def echo_err(line: str) -> None:
    click.echo(line, err=True)
