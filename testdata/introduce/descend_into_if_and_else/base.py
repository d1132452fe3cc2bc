from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import notify, ship, ship_express

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ShippingWorkflow:
    """Ships an order, express or not."""

    @workflow.run
    async def run(self, order_id: str, express: bool) -> str:
        if express:
            await workflow.execute_activity(ship_express, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
            await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
