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

    Run it once no open (or retained) execution lacks the patch marker:
    --require-ready asks the server first (as `patchmod ready ID --stage
    deprecate`, with the same server options) and writes nothing unless it
    says safe. --branch NAME commits on a new branch NAME; --json then
    carries a pull request title and body.

    Exit status: 0 done or nothing to do, 1 --require-ready and the server
    says not safe yet (its answer on stderr), 2 bad usage, bad input, a
    refusal (a site that cannot be rewritten exactly, a file to rewrite with
    uncommitted changes, an existing --branch) or an unreachable server; on
    1 and 2 nothing is written or committed.
    """,
)
