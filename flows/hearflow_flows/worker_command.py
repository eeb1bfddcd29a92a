"""``hearflow worker``: a Prefect worker that keeps hearflow's models loaded between flow runs."""

from __future__ import annotations

import os
import socket
import time

import click

from hearflow import config_option


@click.command()
@click.option("--pool", default="hearflow", show_default=True, envvar="HEARFLOW_API_WORK_POOL", metavar="POOL",
              help="The work pool to take flow runs from (`hearflow api --work-pool`); made as a hearflow pool "
                   "if missing.")
@click.option("--limit", default=1, show_default=True, type=click.IntRange(min=1),
              help="Flow runs at once, each in a thread of this process, all sharing its one loaded model.")
@click.option("--name", default=None, help="This worker's name in the Prefect UI. [default: hearflow HOST PID]")
@config_option
def worker(pool, limit, name, config):
    """Run flow runs of a Prefect work pool in this process, the model loaded once.

    Loads the models of --config's settings (those `hearflow api` is given) at start, then polls
    POOL and runs each flow run inside this process, up to --limit at once: no run imports
    hearflow or loads a model again. `prefect worker start --type process` instead starts a
    process per run, which loads everything each time. A run that raises fails (or crashes)
    alone; the worker goes on. Start as many workers as machines; each needs hearflow
    installed, PREFECT_API_URL and the API's --spool-dir at the same path.

    \b
    Example:
      export PREFECT_API_URL=http://10.0.0.5:4200/api
      hearflow worker --pool hearflow --limit 2
    """
    import anyio

    from hearflow.cli.common import settings_from
    from hearflow.http.settings import server_analyze_settings
    from hearflow.pipeline.inprocess import engine_for
    from hearflow_flows.plugin import require_prefect_server
    from hearflow_flows.work_pool import prefect_unavailable

    require_prefect_server("hearflow worker")
    _check_reachable()
    name = name or f"hearflow {socket.gethostname()} {os.getpid()}"
    say = lambda line: click.echo(f"hearflow worker: {line}", err=True)  # noqa: E731

    began = time.monotonic()
    engine = engine_for(server_analyze_settings(settings_from(config, {}, {})))
    engine.prepare()  # the cache every run of this process shares
    # Whisper loads in the background from here, a diarizer on its first call: either way once.
    say(f"models prepared in {time.monotonic() - began:.1f} s ({engine.asr.name}, {engine.diarizer.name}); "
        "what they load stays loaded for every run of this process")

    runs = 0

    def ended(flow_run, state: str, seconds: float) -> None:
        nonlocal runs
        runs += 1
        say(f"flow run {flow_run.name!r} ended {state} in {seconds:.1f} s (run {runs} of process {os.getpid()})")

    from hearflow_flows.worker import HearflowWorker

    worker_ = HearflowWorker(work_pool_name=pool, name=name, limit=limit, on_run_end=ended,
                             base_job_template=HearflowWorker.get_default_base_job_template())
    try:
        anyio.run(lambda: worker_.start(printer=say))
    except KeyboardInterrupt:
        say("stopped")
    except Exception as exc:  # the server went away, or refused this worker
        raise prefect_unavailable(f"the worker lost the Prefect server at {os.environ.get('PREFECT_API_URL')}",
                                  exc) from None


def _check_reachable() -> None:
    """Prefect's worker would retry an unreachable server for ever: say so once, at start."""
    from prefect import get_client

    from hearflow_flows.work_pool import prefect_unavailable

    with get_client(sync_client=True) as client:
        failure = client.api_healthcheck()
        if failure is not None:
            raise prefect_unavailable(f"the Prefect server at {client.api_url} cannot be reached", failure)
