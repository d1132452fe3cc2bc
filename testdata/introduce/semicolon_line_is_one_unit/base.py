from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order."""

    def __init__(self) -> None:
        self._status = "new"

    @workflow.run
    async def run(self, order_id: str) -> str:
        self._status = "charging"; await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        self._status = "shipping"; await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return self._status

    @workflow.query
    def status(self) -> str:
        return self._status
