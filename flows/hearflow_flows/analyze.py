"""``analyze-call``: one recording through the step list as Prefect tasks, then the one tail."""

from __future__ import annotations

from prefect import flow

from hearflow.pipeline.inprocess import engine_for
from hearflow.pipeline.runner import run_call
from hearflow.pipeline.tail import CallOutcome
from hearflow.settings import AnalyzeSettings
from hearflow.store.store import Store
from hearflow_flows.tasks import compute_as_tasks, finish_as_task


@flow(name="analyze-call", flow_run_name="analyze {source}")
def analyze_call(
    source: str,
    settings: AnalyzeSettings | None = None,
    db_path: str | None = None,
    formats: list[str] | None = None,
    out_dir: str = ".",
    reuse: bool = True,
) -> CallOutcome:
    """Analyse one recording (a path or an https URL) and store it. With ``reuse``, identical
    bytes analysed with identical options return the stored call instead of a duplicate."""
    engine = engine_for(settings or AnalyzeSettings())  # one per settings per process: models load once
    formats = list(formats or [])
    engine.prepare(formats)
    store = Store(db_path)
    try:
        return run_call(engine, store, source, formats=formats, out_dir=out_dir, reuse=reuse,
                        compute=compute_as_tasks, finish=finish_as_task)
    finally:
        store.close()
