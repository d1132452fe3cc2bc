from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, record_unchecked, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships a batch of orders.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    """

    @workflow.run
    async def run(self, orders: list[tuple[str, int]]) -> str:
        for order_id, amount in orders:
            if amount > 1000 or workflow.patched("add-fraud-check-v1"):
                await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
            else:
                await workflow.execute_activity(record_unchecked, order_id, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
