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
    - 2026-12-01 introduced ship-from-warehouse-v2: run
    - 2026-12-22 deprecated add-fraud-check-v1
    - 2026-12-22 deprecated ship-from-warehouse-v2
    """

    @wf.run
    async def run(self, order_id: str) -> str:
        wf.deprecate_patch("add-fraud-check-v1")
        await wf.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await wf.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        wf.deprecate_patch("ship-from-warehouse-v2")
        await wf.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT, task_queue="warehouse")
        return "shipped"


@wf.defn
class RefundWorkflow:
    """Refunds one order."""

    @wf.run
    async def run(self, order_id: str) -> str:
        wf.deprecate_patch("ship-from-warehouse-v2")
        await wf.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        return "refunded"
