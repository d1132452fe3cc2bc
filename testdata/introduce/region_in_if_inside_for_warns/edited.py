from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import review, ship_item

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class PackingWorkflow:
    """Ships each item, reviewing the fragile ones."""

    @workflow.run
    async def run(self, items: list[str]) -> int:
        for item in items:
            if item.startswith("fragile:"):
                await workflow.execute_activity(review, item, start_to_close_timeout=TIMEOUT)
                await workflow.sleep(timedelta(minutes=1))
            await workflow.execute_activity(ship_item, item, start_to_close_timeout=TIMEOUT)
        return len(items)
