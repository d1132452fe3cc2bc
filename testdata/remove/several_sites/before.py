from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_address, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


async def charge_safely(order_id: str) -> None:
    workflow.deprecate_patch("add-fraud-check-v1")
    await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
    await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run, change_address, charge_safely
    - 2026-12-22 deprecated add-fraud-check-v1
    """

    def __init__(self) -> None:
        self._address = ""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await charge_safely(order_id)
        workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(ship, self._address, start_to_close_timeout=TIMEOUT)
        return "shipped"

    @workflow.signal
    async def change_address(self, address: str) -> None:
        workflow.deprecate_patch("add-fraud-check-v1")
        await workflow.execute_activity(check_address, address, start_to_close_timeout=TIMEOUT)
        self._address = address
