"""Stage 3 of Temporal's patching sample: the patch deprecated.

Only the new code is left; `deprecate_patch` records a deprecated marker, so
histories of stage 2 (marker) and stage 4 (no marker) both replay.
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
        workflow.deprecate_patch("my-patch")
        self._result = await workflow.execute_activity(
            post_patch_activity, schedule_to_close_timeout=timedelta(minutes=5)
        )
        await workflow.wait_condition(lambda: self._finished)
        return self._result

    @workflow.signal
    def finish(self) -> None:
        self._finished = True

    @workflow.query
    def result(self) -> str:
        return self._result
