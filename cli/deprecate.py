"""`patchmod deprecate`: every `workflow.patched(ID)` becomes
`workflow.deprecate_patch(ID)` in place; only the patched code stays."""

from __future__ import annotations

from patchmod.cli.retire_command import retire_command

deprecate = retire_command(
    "deprecate",
    "Turn workflow.patched(ID) into workflow.deprecate_patch(ID).",
    """Turn every `workflow.patched(ID)` into `workflow.deprecate_patch(ID)`,
    keeping only the code that runs with the patch taken.

    Every site of each ID in the repository's tracked Python files (or under
    each --path) is rewritten in place: if/else, if-only, if-not, elif
    chains, conditional expressions. Imports only the dropped code used go.
    Each touched workflow class gets a `deprecated` line in its Versioning
    History. By default the rewritten files, and only they, are committed:
    subject `patchmod: deprecate ID...`, one `Patch-Id: ID` trailer per ID and
    `Patch-Stage: deprecated`.

    Run it once no open (or retained) execution lacks the patch marker.

    Exit status: 0 done or nothing to do, 2 bad usage, bad input or a refusal
    (a site that cannot be rewritten exactly, a file to rewrite with
    uncommitted changes); then nothing is written or committed.
    """,
)
