from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import check_payment

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class PaymentCheckWorkflow:
    """Waits for a payment to show up."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        for attempt in range(3):
            paid = await workflow.execute_activity(check_payment, order_id, start_to_close_timeout=TIMEOUT)
            if paid:
                return "paid"
            await workflow.sleep(timedelta(minutes=1))
        return "unpaid"
