from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, check_fraud_v2, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-01 introduced fraud-model-v2: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("add-fraud-check-v1"):
            if workflow.patched("fraud-model-v2"):
                await workflow.execute_activity(check_fraud_v2, order_id, start_to_close_timeout=TIMEOUT)
            else:
                await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
