from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud_v2, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-01 introduced fraud-model-v2: run
    - 2026-12-22 deprecated add-fraud-check-v1
    - 2026-12-22 deprecated fraud-model-v2
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        workflow.deprecate_patch("add-fraud-check-v1")
        workflow.deprecate_patch("fraud-model-v2")
        await workflow.execute_activity(check_fraud_v2, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
