from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship, ship_express

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order."""

    @workflow.run
    async def run(self, order_id: str, express: bool = False) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if express:
            await workflow.execute_activity(ship_express, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
