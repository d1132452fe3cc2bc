from datetime import timedelta

from temporalio.workflow import defn, deprecate_patch, execute_activity, patched, run, unsafe

with unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced add-fraud-check-v1: run
    - 2026-12-01 introduced ship-from-warehouse-v2: run
    - 2026-12-02 introduced gift-wrap-v1: run
    - 2026-12-22 deprecated add-fraud-check-v1
    - 2026-12-22 deprecated ship-from-warehouse-v2
    """

    @run
    async def run(self, order_id: str, gift: bool) -> str:
        deprecate_patch("add-fraud-check-v1")
        await execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if patched("gift-wrap-v1"):
            order_id = f"{order_id}:gift" if gift else order_id
        deprecate_patch("ship-from-warehouse-v2")
        await execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT, task_queue="warehouse")
        return "shipped"
