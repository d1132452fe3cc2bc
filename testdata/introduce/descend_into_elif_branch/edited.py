from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import clear_customs, ship, ship_express

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ShippingWorkflow:
    """Ships an order by the right route."""

    @workflow.run
    async def run(self, order_id: str, route: str) -> str:
        if route == "express":
            await workflow.execute_activity(ship_express, order_id, start_to_close_timeout=TIMEOUT)
        elif route == "international":
            await workflow.execute_activity(clear_customs, order_id, start_to_close_timeout=timedelta(hours=1))
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return route
