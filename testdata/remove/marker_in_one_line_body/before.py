from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2026-11-21 introduced express-queue-v1: run
    - 2026-12-22 deprecated express-queue-v1
    """

    @workflow.run
    async def run(self, order_id: str, express: bool) -> str:
        queue = "standard"
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if express: workflow.deprecate_patch("express-queue-v1"); queue = "express"
        for _ in range(2): workflow.deprecate_patch("express-queue-v1")  # once per try
        await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT, task_queue=queue)
        return "shipped"
