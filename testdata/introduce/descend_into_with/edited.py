from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, send_receipt

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ReceiptWorkflow:
    """Charges, then tries to send a receipt."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        with suppress(ActivityError):
            await workflow.execute_activity(send_receipt, order_id, start_to_close_timeout=TIMEOUT)
        return "charged"
