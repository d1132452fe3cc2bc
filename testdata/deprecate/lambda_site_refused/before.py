from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    """

    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self._approved or not workflow.patched("add-fraud-check-v1"))
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"

    @workflow.signal
    def approve(self) -> None:
        self._approved = True
