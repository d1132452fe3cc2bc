from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import pay_out, record_approval

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ApprovalWorkflow:
    """Waits for a manager, then pays out.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run, approve
    """

    def __init__(self) -> None:
        self._approved_by: str | None = None

    @workflow.run
    async def run(self, request_id: str) -> str:
        if workflow.patched("new-feature-v1"):
            await workflow.wait_condition(lambda: self._approved_by is not None, timeout=timedelta(days=7))
        else:
            await workflow.wait_condition(lambda: self._approved_by is not None)
        await workflow.execute_activity(pay_out, request_id, start_to_close_timeout=TIMEOUT)
        return "paid"

    @workflow.signal
    async def approve(self, manager: str) -> None:
        if workflow.patched("new-feature-v1"):
            await workflow.execute_activity(record_approval, manager, start_to_close_timeout=TIMEOUT)
        self._approved_by = manager
