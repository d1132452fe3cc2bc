from datetime import timedelta

from temporalio import activity, workflow

TIMEOUT = timedelta(seconds=10)


@activity.defn
async def send_greeting(name: str) -> str:
    activity.logger.info("greeting %s", name)
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    """Greets someone once."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(send_greeting, name, start_to_close_timeout=TIMEOUT)
