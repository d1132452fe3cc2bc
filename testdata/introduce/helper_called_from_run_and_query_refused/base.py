from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import ship_item

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ShipmentWorkflow:
    """Ships the items of one order."""

    def __init__(self) -> None:
        self._shipped = 0
        self._total = 0

    @workflow.run
    async def run(self, items: list[str]) -> str:
        self._total = len(items)
        for item in items:
            await workflow.execute_activity(ship_item, item, start_to_close_timeout=TIMEOUT)
            self._shipped += 1
        return self._summary()

    @workflow.query
    def progress(self) -> str:
        return self._summary()

    def _summary(self) -> str:
        return f"{self._shipped} items shipped"
