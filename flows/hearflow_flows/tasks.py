"""The Prefect adapter: each step of ``hearflow.pipeline.steps.STEPS`` becomes a task.

Steps with a cache key are cached by Prefect under it (their results persisted); the others are
never cached nor persisted, so decoded audio never reaches Prefect's result storage. A step
that may run a networked stage is retried with backoff, unless the stage keeps its own retry
budget (an analyzer). A value that carries an error (a failed
analysis) is returned but never cached, so the next run tries again.
"""

from __future__ import annotations

import functools

from prefect import task
from prefect.cache_policies import NO_CACHE

from hearflow.pipeline.steps import STEPS, Step, initial_state
from hearflow.pipeline.tail import finish

NETWORK_RETRIES = 3


class _Failed(Exception):
    """Carries a value with an error out of a task, so Prefect does not cache it."""

    def __init__(self, value):
        super().__init__(str(value.error.message))
        self.value = value


def _execute(engine, step: Step, inputs: tuple, key: str | None):
    value = step.call(engine, inputs)
    if getattr(value, "error", None) is not None:
        raise _Failed(value)
    return value


@functools.cache
def step_task(step: Step, networked: bool, cached: bool):
    if cached:
        options = {"cache_key_fn": lambda context, parameters: parameters["key"], "persist_result": True}
    else:
        options = {"cache_policy": NO_CACHE, "persist_result": False}
    if networked:
        options.update(retries=NETWORK_RETRIES, retry_delay_seconds=[1, 4, 16])
    return task(_execute, name=step.name, **options)


def compute_as_tasks(engine, fingerprint, source: str):
    """Every step as a Prefect task, in the order of ``STEPS``."""
    state = initial_state(fingerprint, source)
    for step in STEPS:
        key = step.cache_key(engine, state) if step.cache_key else None
        run = step_task(step, step.retried_by_runner(engine, state), key is not None)
        try:
            state[step.writes] = run(engine, step, step.inputs(state), key)
        except _Failed as failed:
            state[step.writes] = failed.value
    return state["result"]


@task(name="store", cache_policy=NO_CACHE, persist_result=False)
def finish_as_task(engine, store, result, formats, out_dir):
    """The one tail, shown in the Prefect UI as the run's last task."""
    return finish(engine, store, result, formats, out_dir)
