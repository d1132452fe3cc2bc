from datetime import timedelta

from temporalio import workflow
from temporalio.common import VersioningBehavior

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)
class OrderWorkflow:
    """Charges and ships one order."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        if not await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT):
            return "held-for-review"
        return await self._ship(order_id)

    async def _ship(self, order_id: str) -> str:
        await workflow.sleep(timedelta(minutes=5))
        return await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
