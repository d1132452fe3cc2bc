from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships a batch of orders.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-22 deprecated add-fraud-check-v1
    """

    @workflow.run
    async def run(self, order_ids: list[str]) -> str:
        for order_id in order_ids:
            # Fraud check before charging (PAY-311).
            workflow.deprecate_patch("add-fraud-check-v1")
            await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)

            # Then charge.
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
            workflow.deprecate_patch("add-fraud-check-v1")
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        # Every order is charged; ship what is left.
        await workflow.execute_activity(ship, order_ids[-1], start_to_close_timeout=TIMEOUT)
        return "shipped"
