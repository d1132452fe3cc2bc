"""What a codemod reports: findings as data, refusals as one exception.

Printing, JSON and exit codes are the CLI's business; a transform only says
where (a line in the base or the edited text) and what. Nothing here imports
libcst: the command line's introduce receives these from a child process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def __reduce__(self):
        # Rebuilt from the findings, not from the message (introduce's
        # codemod may run in a child process and send its refusal back).
        return (Refusal, (self.findings,))


def refuse(line: int, message: str, side: Side = "edited") -> Refusal:
    return Refusal([Finding(line, message, side)])


RegionKind = Literal["add", "remove", "replace", "chain"]


@dataclass(frozen=True)
class Region:
    class_name: str | None
    function: str
    start_line: int  # of the `if` in the result, 1-based
    end_line: int
    kind: RegionKind
    in_loop: bool


@dataclass
class IntroduceResult:
    code: str
    regions: list[Region] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    # Pinned workflow classes whose code changed: they need no patch (line
    # of the class in the edited text).
    notes: list[Finding] = field(default_factory=list)
