from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, refund, reserve_stock

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class PaymentWorkflow:
    """Charges an order, refunding on failure.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        try:
            await workflow.execute_activity(reserve_stock, order_id, start_to_close_timeout=TIMEOUT)
            if workflow.patched("new-feature-v1"):
                await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(seconds=30))
            else:
                await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        except ActivityError:
            await workflow.execute_activity(refund, order_id, start_to_close_timeout=TIMEOUT)
            if workflow.patched("new-feature-v1"):
                await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
            return "refunded"
        return "charged"
