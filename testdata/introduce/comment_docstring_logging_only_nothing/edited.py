from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order, in that order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        """Run the order: charge it, then ship it.

        Shipping waits for the charge to settle.
        """
        # Take the money first; never ship unpaid orders.
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)  # idempotent
        workflow.logger.info("charged order %s", order_id)
        workflow.logger.debug("about to ship %s", order_id)

        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
