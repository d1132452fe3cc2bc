from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import pay_out, record_approval

TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="approval")
class ApprovalWorkflow:
    """Waits for a manager, then pays out."""

    def __init__(self) -> None:
        self._approved = False

    @workflow.run
    async def run(self, request_id: str) -> str:
        await workflow.wait_condition(lambda: self._approved)
        await workflow.execute_activity(pay_out, request_id, start_to_close_timeout=TIMEOUT)
        return "paid"

    @workflow.signal(name="approve-request")
    async def approve(self, manager: str) -> None:
        self._approved = True
