from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import track

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ShipmentWorkflow:
    """Polls the carrier until the parcel arrives.

    Versioning History:
    - 2026-11-21 introduced new-feature-v1: run
    """

    @workflow.run
    async def run(self, shipment_id: str) -> str:
        status = "pending"
        while status != "delivered":
            if workflow.patched("new-feature-v1"):
                await workflow.sleep(timedelta(minutes=30))
            else:
                await workflow.sleep(timedelta(hours=1))
            status = await workflow.execute_activity(track, shipment_id, start_to_close_timeout=TIMEOUT)
        return status
