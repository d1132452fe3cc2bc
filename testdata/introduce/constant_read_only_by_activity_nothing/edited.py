from datetime import timedelta

from temporalio import activity, workflow

PAYMENT_URL = "https://payments.internal/v2"


@activity.defn
async def charge(order_id: str) -> str:
    return f"{PAYMENT_URL}/{order_id}"


@workflow.defn
class OrderWorkflow:
    """Charges one order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        return await workflow.execute_activity(charge, order_id, start_to_close_timeout=timedelta(seconds=10))
