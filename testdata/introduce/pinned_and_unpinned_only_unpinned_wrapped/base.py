from datetime import timedelta

from temporalio import common, workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, refund, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="Orders", versioning_behavior=common.VersioningBehavior.PINNED)
class OrderWorkflow:
    """Charges and ships one order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"


@workflow.defn
class RefundWorkflow:
    """Refunds one order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(refund, order_id, start_to_close_timeout=TIMEOUT)
        return "refunded"
