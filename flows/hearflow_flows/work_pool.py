"""The HTTP API's jobs as runs of the ``transcribe-job`` deployment on a Prefect work pool.

The pool is made for ``hearflow worker`` (type ``hearflow``: runs in the worker's process, the
model loaded once) unless it exists already: a ``process`` pool a team made keeps its workers.

The deployment names its flow by module (``hearflow_flows.job.transcribe_job``), so any worker
with hearflow installed runs it, wherever its checkout is. A run is created with the job's id as
its idempotency key: asking again after a restart returns the run made before, never a second.
"""

from __future__ import annotations

from uuid import UUID

DEPLOYMENT = "hearflow-api"
ENTRYPOINT = "hearflow_flows.job.transcribe_job"


def prefect_unavailable(what: str, exc: Exception):
    from hearflow import StageUnavailableError

    return StageUnavailableError(f"{what} ({type(exc).__name__}: {exc})", code="prefect_unavailable",
                                 hint="check PREFECT_API_URL and that `prefect server start` runs there")


class WorkPoolJobs:
    def __init__(self, pool: str):
        from prefect import get_client

        self.pool = pool
        self._client = get_client(sync_client=True)
        self._client.__enter__()
        try:
            self.deployment_id = self._deploy()
        except Exception as exc:  # unreachable, refusing, or not a Prefect server
            self.close()
            raise prefect_unavailable(f"the Prefect server at {self._client.api_url} did not take the deployment",
                                      exc) from None

    def _deploy(self) -> UUID:
        from prefect.client.schemas.actions import WorkPoolCreate
        from prefect.exceptions import ObjectAlreadyExists

        from hearflow_flows.job import transcribe_job
        from hearflow_flows.worker import HearflowWorker

        try:  # a pool for `hearflow worker` unless the team made its own (of any type) beforehand
            self._client.create_work_pool(WorkPoolCreate(
                name=self.pool, type=HearflowWorker.type,
                base_job_template=HearflowWorker.get_default_base_job_template()))
        except ObjectAlreadyExists:
            pass
        flow_id = self._client.create_flow(transcribe_job)
        return self._client.create_deployment(  # an upsert: the same deployment on every start
            flow_id=flow_id, name=DEPLOYMENT, work_pool_name=self.pool, entrypoint=ENTRYPOINT,
            description="One job of `hearflow api --prefect`; created by the API server, one run per job.",
            enforce_parameter_schema=False)

    @property
    def deployment(self) -> str:
        from hearflow_flows.job import FLOW_NAME

        return f"{FLOW_NAME}/{DEPLOYMENT}"

    def start(self, job_id: str, parameters: dict) -> str:
        """The run for this job: made now, or the one made before under the same job id."""
        run = self._client.create_flow_run_from_deployment(
            self.deployment_id, parameters=parameters, idempotency_key=job_id, name=f"job {job_id}")
        return str(run.id)

    def outcomes(self, run_ids: list[str]) -> dict[str, str | None]:
        """Each run's end, read in one request: None while it is scheduled or running;
        "completed"; else what ended it."""
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        runs = self._client.read_flow_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[UUID(run_id) for run_id in run_ids])), limit=len(run_ids))
        ended: dict[str, str | None] = dict.fromkeys(run_ids)
        for run in runs:
            state = run.state
            if state is None or not state.is_final():
                continue
            ended[str(run.id)] = "completed" if state.is_completed() else (
                f"the flow run ended {state.name}" + (f": {state.message}" if state.message else ""))
        return ended

    def close(self) -> None:
        self._client.__exit__(None, None, None)
