"""Stage 2 of Temporal's patching sample: the change behind `patched`.

New executions run `post_patch_activity` and record a `core_patch` marker for
"my-patch"; histories without the marker keep running `pre_patch_activity`.
Then, as in every stage, it waits for the `finish` signal.
"""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def pre_patch_activity() -> str:
    return "pre-patch"


@activity.defn
async def post_patch_activity() -> str:
    return "post-patch"


@workflow.defn
class MyWorkflow:
    def __init__(self) -> None:
        self._result = ""
        self._finished = False

    @workflow.run
    async def run(self) -> str:
        if workflow.patched("my-patch"):
            self._result = await workflow.execute_activity(
                post_patch_activity, schedule_to_close_timeout=timedelta(minutes=5)
            )
        else:
            self._result = await workflow.execute_activity(
                pre_patch_activity, schedule_to_close_timeout=timedelta(minutes=5)
            )
        await workflow.wait_condition(lambda: self._finished)
        return self._result

    @workflow.signal
    def finish(self) -> None:
        self._finished = True

    @workflow.query
    def result(self) -> str:
        return self._result
