from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships a batch of orders.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-22 deprecated add-fraud-check-v1
    """

    @workflow.run
    async def run(self, order_ids: list[str], express: bool) -> str:
        if express:
            workflow.deprecate_patch("add-fraud-check-v1")
        else:
            await workflow.execute_activity(charge, order_ids[0], start_to_close_timeout=TIMEOUT)
        for order_id in order_ids:
            workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(ship, order_ids, start_to_close_timeout=TIMEOUT)
        return "shipped"
