"""The floor of `patchmod verify`: one Python process that imports
temporalio and the workflow module and replays every history with
temporalio's Replayer, nothing else.

    python scripts/bench/replay_floor.py STAGES_DIR MODULE:CLASS HISTORY_DIR
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys


async def main() -> int:
    stages, spec, folder = sys.argv[1:4]
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    sys.path.insert(0, stages)
    module_name, _, class_name = spec.partition(":")
    workflow_class = getattr(importlib.import_module(module_name), class_name)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))

    async def histories():
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                yield WorkflowHistory.from_json(name, json.load(f))

    results = await Replayer(workflows=[workflow_class]).replay_workflows(
        histories(), raise_on_replay_failure=False)
    failed = sum(1 for e in results.replay_failures.values() if e is not None)
    print(json.dumps({"histories": len(names), "failed": failed}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
