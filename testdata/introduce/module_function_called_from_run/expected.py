from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


async def charge_order(order_id: str) -> None:
    await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
    if workflow.patched("new-feature-v1"):
        await workflow.sleep(timedelta(seconds=30))


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: charge_order
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await charge_order(order_id)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
