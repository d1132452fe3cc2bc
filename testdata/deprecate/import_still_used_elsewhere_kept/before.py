from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship, ship_v0
    from .legacy_billing import charge_by_invoice

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("add-fraud-check-v1"):
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(charge_by_invoice, order_id, start_to_close_timeout=TIMEOUT)
        if workflow.patched("add-fraud-check-v1"):
            await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        else:
            await workflow.execute_activity(ship_v0, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"


@workflow.defn
class RefundWorkflow:
    """Refunds one order the old way."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge_by_invoice, order_id, start_to_close_timeout=timedelta(minutes=1))
        return "refunded"
