from datetime import timedelta

from temporalio import workflow as wf

with wf.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@wf.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    """

    @wf.run
    async def run(self, order_id: str) -> str:
        if wf.patched("add-fraud-check-v1"):
            await wf.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await wf.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await wf.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
