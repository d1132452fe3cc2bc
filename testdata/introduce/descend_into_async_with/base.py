import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import audit, debit

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class AccountWorkflow:
    """Keeps a balance; withdrawals run one at a time."""

    def __init__(self) -> None:
        self._balance = 0
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, opening_balance: int) -> int:
        self._balance = opening_balance
        await workflow.wait_condition(lambda: self._balance <= 0)
        return self._balance

    @workflow.update
    async def withdraw(self, amount: int) -> int:
        async with self._lock:
            await workflow.execute_activity(debit, amount, start_to_close_timeout=TIMEOUT)
            self._balance -= amount
        return self._balance
