"""The one exception a command raises for bad usage, bad input or a refusal.

Exit status 2, a message per line, never a traceback: `main` prints it.
"""

from __future__ import annotations


class PatchmodError(Exception):
    """Bad usage, bad input or a refusal: nothing was written or committed.

    `lines` are ready to print, one problem each (`path:line: why`); `errors`
    holds the same as data for --json (`{"file", "line", "message"}`).
    """

    exit_code = 2

    def __init__(self, lines: str | list[str], errors: list[dict] | None = None):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.errors = errors if errors is not None else [
            {"file": None, "line": None, "message": line} for line in self.lines
        ]
        super().__init__("\n".join(self.lines))

    @property
    def summary(self) -> str:
        """One line for a --json `message`: the problem, or how many there are."""
        return self.lines[0] if len(self.lines) == 1 else f"refused: {len(self.lines)} problems"
