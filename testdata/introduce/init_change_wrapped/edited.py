from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ChargeWorkflow:
    """Charges one order, retrying by hand."""

    def __init__(self) -> None:
        self._attempts_left = 5

    @workflow.run
    async def run(self, order_id: str) -> bool:
        while self._attempts_left > 0:
            self._attempts_left -= 1
            if await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT):
                return True
        return False
