from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2025-03-02 introduced add-fraud-check-v1: run
    - 2025-09-10 deprecated add-fraud-check-v1
    - 2025-11-01 removed add-fraud-check-v1
    - 2026-11-21 introduced new-feature-v1: run

    See docs/orders.md for the whole flow.
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("new-feature-v1"):
            return "charged"
        else:
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
            return "shipped"
