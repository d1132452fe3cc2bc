from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import reserve_stock

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class CartWorkflow:
    """Holds a cart until checkout."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._done = False

    @workflow.run
    async def run(self, cart_id: str) -> list[str]:
        await workflow.wait_condition(lambda: self._done)
        return self._items

    @workflow.update
    async def add_item(self, sku: str) -> int:
        await workflow.execute_activity(reserve_stock, sku, start_to_close_timeout=TIMEOUT)
        self._items.append(sku)
        return len(self._items)

    @add_item.validator
    def validate_add_item(self, sku: str) -> None:
        if not sku:
            raise ValueError("empty sku")

    @workflow.signal
    def checkout(self) -> None:
        self._done = True
