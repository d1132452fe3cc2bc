from collections.abc import AsyncIterator
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import ship_batch

TIMEOUT = timedelta(seconds=10)


async def batches(order_ids: list[str], size: int) -> AsyncIterator[list[str]]:
    for start in range(0, len(order_ids), size):
        yield order_ids[start : start + size]


@workflow.defn
class BulkShipWorkflow:
    """Ships orders in batches."""

    @workflow.run
    async def run(self, order_ids: list[str]) -> int:
        count = 0
        async for batch in batches(order_ids, 10):
            await workflow.execute_activity(ship_batch, batch, start_to_close_timeout=TIMEOUT)
            await workflow.sleep(timedelta(seconds=5))
            count += len(batch)
        return count
