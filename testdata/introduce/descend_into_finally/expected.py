from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, notify, place_hold, release_hold

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class HoldWorkflow:
    """Charges under a hold that is always released.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        await workflow.execute_activity(place_hold, order_id, start_to_close_timeout=TIMEOUT)
        try:
            await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        finally:
            await workflow.execute_activity(release_hold, order_id, start_to_close_timeout=TIMEOUT)
            if workflow.patched("new-feature-v1"):
                await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)
        return "charged"
