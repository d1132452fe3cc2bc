"""How many worker processes a bulk command uses. Kept free of heavy
imports: `status` asks too, and must not load libcst for it."""

from __future__ import annotations

import os

from patchmod.cli.errors import PatchmodError

# More candidate files than this: rewrite them in worker processes (and the
# command line shows a progress bar on a terminal). Below it, starting the
# workers costs more than it saves.
MANY_FILES = 8


def worker_count(n_files: int, jobs: int | None) -> int:
    """How many processes rewrite `n_files`: 1 (in this process) for few files
    or one core; else `jobs`, or every usable core."""
    if jobs is not None:
        if jobs < 1:
            raise PatchmodError(f"--jobs must be at least 1, not {jobs}")
        return max(1, min(jobs, n_files))
    if n_files <= MANY_FILES:
        return 1
    return max(1, min(usable_cores(), n_files // 2))


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
