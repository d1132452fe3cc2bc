"""Order fulfilment: charge the payment, wait for approval, ship."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def charge_payment(order_id: str) -> str:
    return f"charged {order_id}"


@activity.defn
async def check_fraud(order_id: str) -> str:
    return f"fraud-checked {order_id}"


@activity.defn
async def ship_order(order_id: str) -> str:
    return f"shipped {order_id}"


@workflow.defn
class OrderWorkflow:
    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, order_id: str) -> list[str]:
        steps: list[str] = []
        steps.append(
            await workflow.execute_activity(
                charge_payment, order_id, start_to_close_timeout=timedelta(seconds=10)
            )
        )
        steps.append(
            await workflow.execute_activity(
                check_fraud, order_id, start_to_close_timeout=timedelta(seconds=10)
            )
        )
        await workflow.wait_condition(lambda: self._approved)
        steps.append(
            await workflow.execute_activity(
                ship_order, order_id, start_to_close_timeout=timedelta(seconds=10)
            )
        )
        return steps

    @workflow.signal
    def approve(self) -> None:
        self._approved = True
