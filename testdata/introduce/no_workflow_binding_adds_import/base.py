from datetime import timedelta

from temporalio.workflow import defn, execute_activity, run, unsafe

with unsafe.imports_passed_through():
    from .activities import charge, check_fraud, ship

TIMEOUT = timedelta(seconds=10)


@defn
class OrderWorkflow:
    """Charges and ships one order."""

    @run
    async def run(self, order_id: str) -> str:
        await execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        await execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
        return "shipped"
