from datetime import timedelta

from temporalio.workflow import defn, deprecate_patch, execute_activity, run, unsafe

with unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-22 deprecated add-fraud-check-v1
    """

    @run
    async def run(self, order_id: str) -> str:
        deprecate_patch("add-fraud-check-v1")
        await execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
