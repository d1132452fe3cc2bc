from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)

        # Hold suspicious orders for a human.
        if workflow.patched("new-feature-v1"):
            risky = await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)

            if risky:
                await workflow.wait_condition(lambda: False, timeout=timedelta(days=1))

        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
