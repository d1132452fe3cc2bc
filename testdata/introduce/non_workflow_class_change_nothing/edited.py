from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge

TIMEOUT = timedelta(seconds=10)


@dataclass
class Order:
    order_id: str
    amount_cents: int

    def label(self) -> str:
        return f"order #{self.order_id}"


class PriceFormatter:
    def format(self, amount_cents: int) -> str:
        return f"{amount_cents / 100:,.2f} USD"


@workflow.defn
class OrderWorkflow:
    """Charges one order."""

    @workflow.run
    async def run(self, order: Order) -> str:
        await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)
        return "charged"
