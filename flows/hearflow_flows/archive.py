"""``process-archive``: many recordings, concurrently, resumable, one SQLite writer.

Workers (threads, or a Dask cluster) compute each call as Prefect tasks; this flow alone puts
finished calls through the one tail (``hearflow.pipeline.archive``), so a crash or a kill loses
no finished call and a re-run skips them all.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from hearflow.errors import StageUnavailableError
from hearflow.pipeline.archive import ArchiveSummary, compute_one, run_archive
from hearflow.pipeline.inprocess import engine_for
from hearflow.pipeline.sources import expand_sources
from hearflow.settings import AnalyzeSettings
from hearflow.store.store import Store
from hearflow_flows.artifacts import publish_summary
from hearflow_flows.tasks import compute_as_tasks


@task(name="process-call", task_run_name="process {source}", cache_policy=NO_CACHE, persist_result=False)
def process_call(engine, source, fingerprint=None):
    return compute_one(engine, source, fingerprint, compute=compute_as_tasks)


def _task_runner(workers: int, dask_address: str | None):
    if dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise StageUnavailableError("running on Dask needs prefect-dask", hint="pip install 'hearflow[dask]'") from None
        return DaskTaskRunner(address=dask_address)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers)


@flow(name="process-archive", flow_run_name="archive {sources}")
def process_archive(
    sources: list[str],
    pattern: str = "**/*",
    settings: AnalyzeSettings | None = None,
    db_path: str | None = None,
    workers: int = 2,
    dask_address: str | None = None,
    formats: list[str] | None = None,
    out_dir: str | None = None,
    reuse: bool = True,
) -> ArchiveSummary:
    """Analyse every recording under ``sources`` (directories, ``.txt`` lists, https URLs).

    Files already stored with the same options are skipped, repeated bytes are processed once,
    and a bad file is recorded with its coded error while the rest go on. ``workers`` threads
    share this machine; give ``dask_address`` (``tcp://host:8786``) to fan out to a Dask cluster.
    """
    engine = engine_for(settings or AnalyzeSettings())  # one per settings per process: models load once
    formats = list(formats or [])
    engine.check_formats(formats)
    runner = _task_runner(workers, dask_address)

    def compute_all(todo):
        with runner:
            futures = [runner.submit(process_call, parameters={"engine": engine, "source": source,
                                                               "fingerprint": fingerprint})
                       for source, fingerprint in todo]
            for future in as_completed(futures):
                yield future.result()

    store = Store(db_path)
    try:
        summary = run_archive(engine, store, expand_sources(list(sources), pattern), compute_all,
                              sources=list(sources), reuse=reuse, formats=formats, out_dir=out_dir,
                              flow_run_id=_flow_run_id())
    finally:
        store.close()
    publish_summary(summary)
    return summary


def _flow_run_id() -> str | None:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return str(context.flow_run.id) if context and context.flow_run else None
