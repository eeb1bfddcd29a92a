"""A Prefect worker that runs each flow run inside its own process, so models stay loaded.

Prefect's ``process`` worker starts a Python process per flow run: every run imports hearflow
and loads the Whisper model and the diarizer again. This worker runs the flow engine in one of
its threads instead (``--limit`` of them at once), so the per-process caches (``engine_for``,
the ASR and diarizer model caches) serve every run after the first.

A run's Python exception, even ``SystemExit``, ends that run (Failed or Crashed), never the
worker. Only flows installed in the worker's environment run here (a module-path entrypoint,
no pull steps): pull steps change the working directory and ``sys.path`` of the whole process,
which threads share; pools with such deployments keep a ``process`` worker. Job variables that
act on a process (``env``, ``command``) have no effect: runs inherit the worker's environment.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

import anyio
import anyio.abc
from prefect.exceptions import InfrastructureNotAvailable
from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

WORKER_TYPE = "hearflow"


class HearflowJobConfiguration(BaseJobConfiguration):
    """Nothing beyond the base: a run needs no infrastructure of its own."""


class HearflowVariables(BaseVariables):
    """The base variables (name, labels, env, command); env and command do not act in-process."""


class HearflowWorkerResult(BaseWorkerResult):
    """status_code is always 0: the run's end is reported by its engine, or as a crash by
    ``run`` itself; a non-zero code would make the base class report a second, vaguer crash."""


class HearflowWorker(BaseWorker[HearflowJobConfiguration, HearflowVariables, HearflowWorkerResult]):
    type = WORKER_TYPE
    job_configuration = HearflowJobConfiguration
    job_configuration_variables = HearflowVariables
    _description = ("Runs each flow run in a thread of the worker process, so hearflow's models are loaded "
                    "once per worker, not per run.")
    _display_name = "hearflow (in-process)"

    def __init__(self, *args: Any, on_run_end=None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._on_run_end = on_run_end  # (flow_run, state name, seconds): the CLI prints one line
        self._flows: dict[str, Any] = {}  # entrypoint → Flow: imported once
        self._flows_lock = threading.Lock()

    async def run(self, flow_run: "FlowRun", configuration: HearflowJobConfiguration,
                  task_status: anyio.abc.TaskStatus[int] | None = None) -> HearflowWorkerResult:
        # Where the run executes, as Prefect records it (a process worker gives its child's pid).
        if task_status is not None:
            task_status.started(os.getpid())
        began = anyio.current_time()
        # Not abandoned on cancel: a stopping worker waits for the call it is computing.
        failure = await anyio.to_thread.run_sync(self._execute, flow_run.id)
        if failure is not None:
            await self._propose_crashed_state(flow_run, f"the run failed inside the hearflow worker: {failure}")
        state = await self._acknowledge_cancel(flow_run.id)
        if self._on_run_end is not None:
            self._on_run_end(flow_run, state, anyio.current_time() - began)
        return HearflowWorkerResult(identifier=f"{os.getpid()}:{flow_run.id}", status_code=0)

    def _execute(self, flow_run_id: UUID) -> str | None:
        """Run the flow engine here, in this thread. None when the engine reported the run's end;
        else what stopped it before the engine could (a bad deployment, an import error, a
        ``SystemExit``): caught whole, so nothing a run does reaches the worker's loop."""
        from prefect.exceptions import Abort
        from prefect.flow_engine import flow_run_logger, load_flow_run, run_flow

        try:
            flow_run = load_flow_run(flow_run_id)  # fresh: the worker has moved it on since the poll
            flow = self._flow_for(flow_run)
            outcome = run_flow(flow, flow_run=flow_run, return_type="state",
                               error_logger=flow_run_logger(flow_run=flow_run))
            if asyncio.iscoroutine(outcome):  # an async flow: its own loop, in this thread
                asyncio.run(outcome)
            return None
        except Abort:  # the server refused the run (cancelled meanwhile, or run elsewhere)
            return None
        except BaseException as exc:  # noqa: BLE001 — one run's end, whatever it raised
            return f"{type(exc).__name__}: {exc}"

    def _flow_for(self, flow_run: "FlowRun"):
        from prefect import get_client
        from prefect.flows import load_flow_from_entrypoint

        if flow_run.deployment_id is None:
            raise ValueError("the flow run has no deployment to load its flow from")
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment(flow_run.deployment_id)
        entrypoint = deployment.entrypoint or ""
        if ":" in entrypoint or deployment.pull_steps:
            raise ValueError(
                f"deployment {deployment.name!r} ({entrypoint or 'no entrypoint'}) needs its code pulled or a "
                "script path; the hearflow worker runs installed flows only (a module path such as "
                "hearflow_flows.job.transcribe_job): serve this deployment from a process pool")
        with self._flows_lock:
            if entrypoint not in self._flows:
                self._flows[entrypoint] = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
            return self._flows[entrypoint]

    async def _acknowledge_cancel(self, flow_run_id: UUID) -> str:
        """A run cancelled while it ran has finished its work in the thread (which is never
        killed); the server refused the end its engine proposed, so Cancelling becomes Cancelled
        here. Returns the run's final state name."""
        from prefect.states import Cancelled

        flow_run = await self.client.read_flow_run(flow_run_id)
        state = flow_run.state
        if state is not None and state.is_cancelling():
            await self.client.set_flow_run_state(
                flow_run_id, Cancelled(message="Cancelled while running in the hearflow worker."), force=True)
            return "Cancelled"
        return state.name if state is not None else "unknown"

    async def kill_infrastructure(self, infrastructure_pid: str, configuration: HearflowJobConfiguration,
                                  grace_seconds: int = 30) -> None:
        # The pid is this worker's own: never killed. A run cancelled before its engine started is
        # refused by the server when the engine asks to run it (Abort), and acknowledged after.
        raise InfrastructureNotAvailable("a run of the hearflow worker ends when its engine next asks the server")
