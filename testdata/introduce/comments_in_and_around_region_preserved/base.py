from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        # Step 1: take the money.
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)

        # Step 2: ship it.
        # The warehouse is slow on Mondays.
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)  # slow

        # Done.
        return "shipped"  # final
