from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge

TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="order")
class OrderWorkflow:
    """Charges one order."""

    def __init__(self) -> None:
        self._charged = False

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        self._charged = True
        return "charged"

    @workflow.query(name="is-charged")
    def is_charged(self) -> bool:
        return bool(self._charged)
