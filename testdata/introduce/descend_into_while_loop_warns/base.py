from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import track

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class ShipmentWorkflow:
    """Polls the carrier until the parcel arrives."""

    @workflow.run
    async def run(self, shipment_id: str) -> str:
        status = "pending"
        while status != "delivered":
            await workflow.sleep(timedelta(hours=1))
            status = await workflow.execute_activity(track, shipment_id, start_to_close_timeout=TIMEOUT)
        return status
