"""``transcribe-job``: one job of ``hearflow api --prefect``, run by a Prefect worker on a work pool.

The run computes the call (the step list as tasks, the archive's ``compute_one``) and leaves
it in the job's spool folder; the API server puts it through the one tail and finishes the job,
so the store has one writer and a worker needs no access to it. An ``audio_url`` is fetched here,
every hop checked against the server's outbound rules, into a temporary file deleted at once.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from hearflow.http.handoff import write_computed
from hearflow.http.outbound import OutboundPolicy
from hearflow.media.fetch import is_url
from hearflow.pipeline.archive import Computed, compute_one, error_info
from hearflow.pipeline.inprocess import engine_for
from hearflow.settings import AnalyzeSettings
from hearflow_flows.tasks import compute_as_tasks

FLOW_NAME = "transcribe-job"


@flow(name=FLOW_NAME, flow_run_name="job {job_id}", persist_result=False)
def transcribe_job(job_id: str, source: str, settings: AnalyzeSettings, spool_dir: str,
                   allow_outbound: list[str] | None = None) -> str:
    """Compute one job's call from ``source`` (a spooled upload or an https URL) and write it to
    ``spool_dir/job_id``. Returns the error code, or "computed"; the transcript is never a
    Prefect result."""
    check = None
    if is_url(source):
        policy = OutboundPolicy(tuple(allow_outbound or ()))
        check = lambda url: policy.check(url, field="audio_url")  # noqa: E731 — every redirect too
    try:
        engine = engine_for(settings)  # one per settings per process
        engine.prepare()
        if check:
            check(source)
        computed = compute_one(engine, source, compute=compute_as_tasks, check=check)
    except Exception as exc:  # a bad model or a refused URL is the job's coded error
        computed = Computed(source, None, error=error_info(exc))
    write_computed(Path(spool_dir) / job_id, computed)
    return computed.error.code if computed.error else "computed"
