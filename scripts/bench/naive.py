"""The naive approach, for comparison: a whole-tree libcst codemod.

    python scripts/bench/naive.py COMMAND ROOT [ID...]

libcst's own runner (`parallel_exec_transform_with_prettyprint`, one
process per core) parses every .py file under ROOT with libcst and hands the
tree to patchmod's transform for COMMAND: `deprecate` / `remove` run
`deprecate_patches` / `remove_patches` on the module and write what changes;
`status` runs the inventory (the per-file part of `patchmod status`) on each
module. No prefilter, no git: what a codemod written the usual way costs.
Prints one JSON object: seconds, files, bytes, failures.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, parallel_exec_transform_with_prettyprint

DATE = datetime.date(2026, 11, 22)


class PatchmodTransform(Codemod):
    """Runs one patchmod transform on a module the runner already parsed."""

    def __init__(self, context: CodemodContext, command: str, ids: list[str]) -> None:
        super().__init__(context)
        self.command = command
        self.ids = ids

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        code = tree.code
        if self.command == "status":
            from patchmod.codemods.inventory import inventory

            inventory(code)
            return tree
        if self.command == "deprecate":
            from patchmod.codemods.deprecate import deprecate_patches as transform
        else:
            from patchmod.codemods.remove import remove_patches as transform
        result = transform(code, self.ids, date=DATE)
        return cst.parse_module(result.code) if result.changed else tree


def main() -> None:
    command, root, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(".py")
    )
    size = sum(os.path.getsize(f) for f in files)
    start = time.perf_counter()
    result = parallel_exec_transform_with_prettyprint(
        PatchmodTransform(CodemodContext(), command, ids), files, jobs=os.cpu_count(),
        hide_progress=True, repo_root=root)
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "files": len(files), "bytes": size,
                      "successes": result.successes, "failures": result.failures, "skips": result.skips}))


if __name__ == "__main__":
    main()
