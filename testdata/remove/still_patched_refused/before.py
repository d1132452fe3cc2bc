from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_address, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run, change_address
    """

    def __init__(self) -> None:
        self._address = ""

    @workflow.run
    async def run(self, order_id: str) -> str:
        workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        queue = "warehouse" if workflow.patched("add-fraud-check-v1") else "legacy"
        await workflow.execute_activity(ship, self._address, start_to_close_timeout=TIMEOUT, task_queue=queue)
        return "shipped"

    @workflow.signal
    async def change_address(self, address: str) -> None:
        if workflow.patched("add-fraud-check-v1"):
            await workflow.execute_activity(check_address, address, start_to_close_timeout=TIMEOUT)
        self._address = address
