from datetime import timedelta

import temporalio.workflow

with temporalio.workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@temporalio.workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @temporalio.workflow.run
    async def run(self, order_id: str) -> str:
        await temporalio.workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if temporalio.workflow.patched("new-feature-v1"):
            await temporalio.workflow.sleep(timedelta(hours=6))
        else:
            await temporalio.workflow.sleep(timedelta(hours=2))
        await temporalio.workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
