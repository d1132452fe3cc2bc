"""Order fulfilment: take the payment, then ship."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class Order:
    order_id: str
    customer_id: str
    amount_cents: int


@activity.defn
async def charge_payment(order: Order) -> str:
    """Charge the customer's card; returns the payment id."""
    return f"pay-{order.order_id}"


@activity.defn
async def check_fraud(order: Order) -> bool:
    """Ask the fraud service whether the order looks safe."""
    return order.amount_cents < 1_000_000


@activity.defn
async def ship_order(order: Order) -> str:
    """Hand the order to the warehouse; returns the tracking number."""
    return f"track-{order.order_id}"


@workflow.defn
class OrderWorkflow:
    """Charges an order and ships it."""

    @workflow.run
    async def run(self, order: Order) -> str:
        workflow.logger.info("processing order %s", order.order_id)
        await workflow.execute_activity(
            charge_payment, order, start_to_close_timeout=timedelta(seconds=10)
        )
        return await workflow.execute_activity(
            ship_order, order, start_to_close_timeout=timedelta(seconds=10)
        )
