from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, notify, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2025-01-10 introduced add-fraud-check-v1: run
    - 2025-04-02 introduced longer-charge-timeout-v1: run
    - 2025-08-19 introduced notify-customer-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("add-fraud-check-v1"):
            await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("longer-charge-timeout-v1"):
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(minutes=1))
        else:
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT, task_queue="warehouse")
        if workflow.patched("notify-customer-v1"):
            await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
