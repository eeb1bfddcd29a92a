"""Flows the hearflow worker test deploys on its pool: what one run may do to the process it
runs in (a library calling ``sys.exit``) must end that run alone, and a run cancelled while it
runs stops at its next task."""

import time

from prefect import flow, task


@flow(name="exits-the-process", persist_result=False)
def exits() -> None:
    raise SystemExit(3)


@task(persist_result=False)
def step(seconds: float) -> None:
    time.sleep(seconds)


@flow(name="steps-slowly", persist_result=False)
def steps(count: int = 30, seconds: float = 1.0) -> None:
    for _ in range(count):
        step(seconds)
