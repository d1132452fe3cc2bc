"""Sample repositories for the deprecate and remove command tests.

    repo = make_retire_repo(tmp_path / "repo")        # patched() sites
    repo = make_retire_repo(tmp_path / "repo", DEPRECATED)  # deprecate_patch() sites

Two ids: FRAUD (in three workflow classes, two files, an if-only and a
conditional expression among them) and PAYMENT (one if/else whose old branch
uses an activity nothing else imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from gitrepo import make_repo
from patchmod.cli.main import main

FRAUD = "add-fraud-check-v1"
PAYMENT = "new-payment-api-v2"
ORDER = "workflows/order.py"
REFUND = "workflows/refund.py"
PRICES = "tools/prices.py"

ORDER_SRC = f'''\
"""Order fulfilment."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shop.activities import charge_payment, charge_payment_v2, check_fraud, ship_order

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges an order and ships it."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("{PAYMENT}"):
            await workflow.execute_activity(charge_payment_v2, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(charge_payment, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("{FRAUD}"):
            safe = await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
            if not safe:
                return "held-for-review"
        return await workflow.execute_activity(ship_order, order_id, start_to_close_timeout=TIMEOUT)
'''

REFUND_SRC = f'''\
from datetime import timedelta

from temporalio import workflow

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class RefundWorkflow:
    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("{FRAUD}"):
            await workflow.execute_activity("check_fraud", order_id, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity("refund", order_id, start_to_close_timeout=TIMEOUT)


@workflow.defn
class ChargebackWorkflow:
    """Disputes a charge."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        note = "checked" if workflow.patched("{FRAUD}") else "unchecked"
        return await workflow.execute_activity("dispute", note, start_to_close_timeout=TIMEOUT)
'''

PRICES_SRC = '''\
def total(prices):
    return sum(prices)
'''

# Line of each patched() site above: (file, line, class, form, id).
PATCHED_SITES = [
    (ORDER, 19, "OrderWorkflow", "if", PAYMENT),
    (ORDER, 23, "OrderWorkflow", "if", FRAUD),
    (REFUND, 12, "RefundWorkflow", "if", FRAUD),
    (REFUND, 23, "ChargebackWorkflow", "expression", FRAUD),
]


def sources(stage: str = "patched") -> dict[str, str]:
    """The repository's files at a stage: "patched" (as above) or
    "deprecated" (both ids deprecated by the codemod, as of 2026-01-02)."""
    files = {ORDER: ORDER_SRC, REFUND: REFUND_SRC, "workflows/__init__.py": "", PRICES: PRICES_SRC,
             "notes.txt": f"todo: retire {FRAUD}\n", "staged.txt": "one\n"}
    if stage == "deprecated":
        import datetime

        from patchmod.codemods.deprecate import deprecate_patches

        for path in (ORDER, REFUND):
            files[path] = deprecate_patches(files[path], [FRAUD, PAYMENT], date=datetime.date(2026, 1, 2)).code
    return files


def make_retire_repo(root: Path, stage: str = "patched") -> Path:
    return make_repo(root, sources(stage))


def run(*args) -> object:
    """patchmod in-process; stdout and stderr kept apart (click 8.2+)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_refused(result) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr


# --- many modules: the parallel path -----------------------------------------------


def many_module(i: int, patch_id: str = FRAUD) -> str:
    return f'''\
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from shop.activities import old_step_{i}, new_step_{i}


@workflow.defn
class Flow{i}Workflow:
    """Flow number {i}."""

    @workflow.run
    async def run(self, n: int) -> int:
        total = 0
        for step in range(n):
            total += step * {i}
        if workflow.patched("{patch_id}"):
            await workflow.execute_activity(new_step_{i}, total, start_to_close_timeout=timedelta(seconds=5))
        else:
            await workflow.execute_activity(old_step_{i}, total, start_to_close_timeout=timedelta(seconds=5))
        return total
'''


def many_sources(n: int) -> dict[str, str]:
    """`n` workflow modules holding FRAUD, plus as many that never spell it."""
    files = {f"flows/flow_{i:03d}.py": many_module(i) for i in range(n)}
    files.update({f"other/plain_{i:03d}.py": PRICES_SRC.replace("total", f"total_{i}") for i in range(n)})
    return files


def patchmod_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the real `patchmod` with stderr on a pseudo-terminal; return the
    exit status, stdout, and what the terminal showed."""
    import pty
    import threading

    master, slave = pty.openpty()
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other side closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "patchmod.cli.main", *args], cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, timeout=120,
        )
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return done.returncode, done.stdout.decode(), shown.decode(errors="replace")
