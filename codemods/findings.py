"""What a codemod reports: findings as data, refusals as one exception.

Printing, JSON and exit codes are the CLI's business; a transform only says
where (a line in the base or the edited text) and what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["edited", "base"]


@dataclass(frozen=True)
class Finding:
    line: int
    message: str
    # Which text `line` counts in: introduce reads two versions of a file.
    side: Side = "edited"


class Refusal(Exception):
    """A rewrite that cannot be made exactly: nothing may be written."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("; ".join(f"{f.line}: {f.message}" for f in self.findings))


def refuse(line: int, message: str, side: Side = "edited") -> Refusal:
    return Refusal([Finding(line, message, side)])
