"""Flows the hearflow worker test deploys on its pool: what one run may do to the process it
runs in (a library calling ``sys.exit``) must end that run alone; one that takes a few seconds
is cancelled while it runs."""

import time

from prefect import flow, task


@flow(name="exits-the-process", persist_result=False)
def exits() -> None:
    raise SystemExit(3)


@task(persist_result=False)
def step(seconds: float) -> None:
    time.sleep(seconds)


@flow(name="steps-slowly", persist_result=False)
def steps(count: int = 8, seconds: float = 0.5) -> None:
    for _ in range(count):
        step(seconds)
