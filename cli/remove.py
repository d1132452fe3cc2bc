"""`patchmod remove`: strip the `workflow.deprecate_patch(ID)` calls."""

from __future__ import annotations

from patchmod.cli.retire_command import retire_command

remove = retire_command(
    "remove",
    "Strip the workflow.deprecate_patch(ID) calls.",
    """Strip every `workflow.deprecate_patch(ID)` statement of each ID.

    Looks at the repository's tracked Python files (or those under each
    --path). Refused, listing every `file:line`, while a
    `workflow.patched(ID)` of an ID is still there: deprecate it first. Each
    touched workflow class gets a `removed` line in its Versioning History;
    the ID stays retired (introduce refuses it). By default the rewritten
    files, and only they, are committed: subject `patchmod: remove ID...`, one
    `Patch-Id: ID` trailer per ID and `Patch-Stage: removed`.

    Run it once no open (or retained) execution carries a non-deprecated
    marker of the ID: their histories no longer replay afterwards.
    --require-ready asks the server first (as `patchmod ready ID --stage
    remove`, with the same server options) and writes nothing unless it
    says safe. --branch NAME commits on a new branch NAME; --json then
    carries a pull request title and body.

    Exit status: 0 done or nothing to do, 1 --require-ready and the server
    says not safe yet (its answer on stderr), 2 bad usage, bad input, a
    refusal (an existing --branch too) or an unreachable server; on 1 and 2
    nothing is written or committed.
    """,
)
