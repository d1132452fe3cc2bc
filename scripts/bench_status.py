"""Make a large repository and time `patchmod status` on it.

    .venv/bin/python scripts/bench_status.py /tmp/big-repo [--modules 2000] [--plain 2000]

Each workflow module holds one `@workflow.defn` class with a Versioning
History, two active patches and one deprecated one (plus a module-level
helper); the plain modules hold ordinary code that status never parses.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

WORKFLOW = '''\
"""Workflow {n}."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shop.activities import charge, check_fraud, notify, ship

TIMEOUT = timedelta(seconds=10)


async def settle(order_id: str) -> None:
    if workflow.patched("settle-later-{n}-v1"):
        await workflow.sleep(timedelta(minutes=5))


@workflow.defn
class Order{n}Workflow:
    """Charges and ships order kind {n}.

    Versioning History:
    - 2025-01-10 introduced add-fraud-check-{n}-v1: run
    - 2025-06-02 deprecated add-fraud-check-{n}-v1
    - 2025-09-14 introduced notify-customer-{n}-v1: run
    - 2025-10-01 introduced settle-later-{n}-v1: settle
    """

    def __init__(self) -> None:
        self._status = "new"

    @workflow.run
    async def run(self, order_id: str) -> str:
        workflow.deprecate_patch("add-fraud-check-{n}-v1")
        await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("notify-customer-{n}-v1"):
            await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
        await settle(order_id)
        self._status = "shipped"
        return await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)

    @workflow.query
    def status(self) -> str:
        return self._status
'''

PLAIN = '''\
"""Plain module {n}: no workflow here."""


def add(a: int, b: int) -> int:
    return a + b + {n}


class Thing{n}:
    def value(self) -> int:
        return {n}
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--plain", type=int, default=2000)
    args = parser.parse_args()
    root: Path = args.root
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        for n in range(args.modules):
            folder = root / "shop" / "workflows" / f"group{n // 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"order_{n}.py").write_text(WORKFLOW.format(n=n))
        for n in range(args.plain):
            folder = root / "shop" / "lib" / f"group{n // 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"util_{n}.py").write_text(PLAIN.format(n=n))
        env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
               "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}
        for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                        ["git", "commit", "-q", "--no-verify", "-m", "large repository"]):
            subprocess.run(command, cwd=root, env=env, check=True)
    patchmod = Path(sys.executable).parent / "patchmod"
    for label, extra in (("table", []), ("--json", ["--json"])):
        start = time.perf_counter()
        done = subprocess.run([str(patchmod), "-C", str(root), "status", *extra],
                              capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - start
        print(f"patchmod -C {root} status {' '.join(extra)}: {elapsed:.2f} s; "
              f"{done.stdout.strip().splitlines()[-1] if label == 'table' else len(done.stdout)} "
              f"{'' if label == 'table' else 'bytes of JSON'}")


if __name__ == "__main__":
    main()
