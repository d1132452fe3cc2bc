"""How findings, warnings and results are shown: lines for people, JSON for bots."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
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


def qualified_name(class_name: str | None, function: str | None) -> str:
    """`Class.method`, a module-level function's name, or `<module>`."""
    if class_name and function:
        return f"{class_name}.{function}"
    return class_name or function or "<module>"


def unified_diff(changes: Iterable[tuple[str, str, str]]) -> str:
    """One unified diff (`a/path`, `b/path`) of every `(path, before, after)`;
    a last line without a newline is marked as git marks it."""
    parts: list[str] = []
    for path, before, after in changes:
        parts.extend(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            fromfile=f"a/{path}", tofile=f"b/{path}",
        ))
    return "".join(p if p.endswith(("\n", "\r")) else p + "\n\\ No newline at end of file\n" for p in parts)


class JsonReport(Mapping):
    """A command's result that reads like its --json object: `report["commit"]`,
    `dict(report)`. Subclasses define `as_dict()` and `_KEYS`."""

    _KEYS: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)
