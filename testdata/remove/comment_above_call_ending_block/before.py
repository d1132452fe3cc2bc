from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-22 deprecated add-fraud-check-v1
    """

    @workflow.run
    async def run(self, order_id: str, express: bool) -> str:
        if express:
            # Express orders skipped the old manual review.
            workflow.deprecate_patch("add-fraud-check-v1")
        else:
            await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
            # Keep the marker last in this branch.
            workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
