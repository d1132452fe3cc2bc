from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from .activities import charge


@workflow.defn
class OrderWorkflow:
    """Charges one order."""

    MAX_ATTEMPTS = 5

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(
            charge,
            order_id,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=self.MAX_ATTEMPTS),
        )
        return "charged"
