from datetime import timedelta

import temporalio.workflow

with temporalio.workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@temporalio.workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    """

    @temporalio.workflow.run
    async def run(self, order_id: str) -> str:
        if temporalio.workflow.patched("add-fraud-check-v1"):
            await temporalio.workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await temporalio.workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await temporalio.workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
