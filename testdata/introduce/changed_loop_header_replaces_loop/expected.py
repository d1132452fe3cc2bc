from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import check_payment

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class PaymentCheckWorkflow:
    """Waits for a payment to show up.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("new-feature-v1"):
            for attempt in range(5):
                paid = await workflow.execute_activity(check_payment, order_id, start_to_close_timeout=TIMEOUT)
                if paid:
                    return "paid"
                await workflow.sleep(timedelta(minutes=1))
        else:
            for attempt in range(3):
                paid = await workflow.execute_activity(check_payment, order_id, start_to_close_timeout=TIMEOUT)
                if paid:
                    return "paid"
                await workflow.sleep(timedelta(minutes=1))
        return "unpaid"
