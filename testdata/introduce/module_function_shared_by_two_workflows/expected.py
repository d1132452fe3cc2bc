from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, refund

TIMEOUT = timedelta(seconds=10)


async def settle(order_id: str) -> None:
    if workflow.patched("new-feature-v1"):
        await workflow.sleep(timedelta(minutes=15))
    else:
        await workflow.sleep(timedelta(minutes=5))


@workflow.defn
class OrderWorkflow:
    """Charges one order.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: settle
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await settle(order_id)
        return "charged"


@workflow.defn
class RefundWorkflow:
    """Refunds one order.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: settle
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(refund, order_id, start_to_close_timeout=TIMEOUT)
        await settle(order_id)
        return "refunded"
