from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class BatchWorkflow:
    """Charges and ships a batch of orders."""

    @workflow.run
    async def run(self, order_ids: list[str]) -> int:
        shipped = 0
        for order_id in order_ids:
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
            shipped += 1
        return shipped
