"""A flow the hearflow worker test deploys on its pool: what one run may do to the process it
runs in (a library calling ``sys.exit``) must end that run alone."""

from prefect import flow


@flow(name="exits-the-process", persist_result=False)
def exits() -> None:
    raise SystemExit(3)
