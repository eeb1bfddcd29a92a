"""``process-archive``: many recordings, concurrently, resumable, one SQLite writer.

Workers only compute (``process_call``); this flow alone writes to SQLite, storing each call the
moment it finishes, so a crash or a kill loses no finished call and a re-run skips them all.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task
from prefect.futures import as_completed
from pydantic import BaseModel, Field

from hearflow.media.audiofile import Fingerprint
from hearflow.pipeline.engine import Engine
from hearflow.errors import HearflowError, StageUnavailableError
from hearflow.media.fetch import is_url, local_copy
from hearflow.models import CallResult, ErrorInfo, utc_now
from hearflow.output.files import write_outputs
from hearflow.progress import report
from hearflow.settings import AnalyzeSettings
from hearflow.store.store import Store
from hearflow_flows.analyze import compute_call
from hearflow_flows.artifacts import publish_summary
from hearflow_flows.sources import BadEntry, expand_sources


@dataclass
class CallOutcome:
    source: str
    sha256: str | None
    result: CallResult | None = None
    error: ErrorInfo | None = None


class ArchiveSummary(BaseModel):
    run_id: str
    started_at: str
    sources: list[str]
    found: int = 0
    processed: int = 0
    skipped: int = 0  # already stored with the same options
    duplicates: int = 0  # the same bytes met again in this run
    failed: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    calls: list[dict] = Field(default_factory=list)
    failures: list[dict] = Field(default_factory=list)

    @property
    def calls_per_minute(self) -> float:
        return self.processed / (self.wall_seconds / 60) if self.wall_seconds else 0.0

    @property
    def audio_hours_per_hour(self) -> float:
        return self.audio_seconds / self.wall_seconds if self.wall_seconds else 0.0


def _error(exc: Exception) -> ErrorInfo:
    if isinstance(exc, HearflowError):
        return ErrorInfo(code=exc.code, message=exc.message)
    return ErrorInfo(code="internal", message=f"{type(exc).__name__}: {exc}")


@task(name="process-call", task_run_name="process {source}")
def process_call(engine: Engine, source: str, print_: Fingerprint | None = None) -> CallOutcome:
    """One recording through every stage. Failures come back as data so the archive goes on."""
    sha256 = print_.sha256 if print_ else None
    try:
        with local_copy(source, max_bytes=engine.settings.max_bytes) as path:
            print_ = print_ or engine.fingerprint(path)
            return CallOutcome(source, print_.sha256, result=compute_call(engine, print_, source))
    except Exception as exc:  # one bad file must never stop the archive
        return CallOutcome(source, sha256, error=_error(exc))


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
    clock = time.monotonic()
    engine = Engine(settings or AnalyzeSettings())
    formats = list(formats or [])
    engine.prepare(formats)
    summary = ArchiveSummary(run_id=uuid.uuid4().hex[:12], started_at=utc_now(), sources=list(sources))
    store = Store(db_path)
    try:
        todo = _plan(engine, store, expand_sources(sources, pattern), summary, reuse)
        seen = {print_.sha256 for _, print_ in todo if print_}
        runner = _task_runner(workers, dask_address)
        with runner:
            futures = [runner.submit(process_call, parameters={"engine": engine, "source": source, "print_": print_})
                       for source, print_ in todo]
            for done, future in enumerate(as_completed(futures), start=1):
                _record(engine, store, future.result(), summary, seen, formats, out_dir)
                _progress(summary, done, len(futures), clock)
        summary.wall_seconds = round(time.monotonic() - clock, 2)
        store.save_run(summary.run_id, summary.model_dump(), _flow_run_id())
    finally:
        store.close()
    publish_summary(summary)
    return summary


def _plan(engine, store, items, summary, reuse) -> list[tuple[str, Fingerprint | None]]:
    """Fingerprint local files up front: duplicates and stored calls are skipped before any work."""
    summary.found = len(items)
    todo, seen = [], set()
    for source in items:
        if isinstance(source, BadEntry):
            _fail(store, summary, source.source, None, _error(source.error))
            continue
        if is_url(source):
            todo.append((source, None))  # hashed once fetched, by the worker
            continue
        try:
            print_ = engine.fingerprint(source)
        except HearflowError as exc:
            _fail(store, summary, source, None, _error(exc))
            continue
        if print_.sha256 in seen:
            summary.duplicates += 1
        elif reuse and store.find_current(engine.call_id(print_.sha256), engine.resolved_options()):
            summary.skipped += 1
        else:
            seen.add(print_.sha256)
            todo.append((source, print_))
    return todo


def _record(engine, store, outcome: CallOutcome, summary, seen, formats, out_dir) -> None:
    if outcome.error is not None:
        _fail(store, summary, outcome.source, outcome.sha256, outcome.error)
        return
    result = outcome.result
    if is_url(outcome.source):  # a URL's bytes are only known now
        if result.sha256 in seen:
            summary.duplicates += 1
            return
        seen.add(result.sha256)
    store.save(result)
    if engine.sinks:
        store.save_deliveries(result.id, engine.deliver(result))
    written = write_outputs(engine.registry, result, formats, Path(out_dir or ".")) if formats else []
    summary.processed += 1
    summary.audio_seconds = round(summary.audio_seconds + result.audio_seconds, 3)
    summary.calls.append({"id": result.id, "source": result.source, "audio_seconds": result.audio_seconds,
                          "speakers": len(result.speaker_timing), "outputs": [str(p) for p in written],
                          "summary": result.analysis.analysis.summary
                          if result.analysis and result.analysis.analysis else None})


def _fail(store, summary, source, sha256, error: ErrorInfo) -> None:
    summary.failed += 1
    summary.failures.append({"source": source, "code": error.code, "message": error.message})
    store.save_failure(summary.run_id, source, sha256, error)


def _progress(summary, done, total, clock) -> None:
    elapsed = time.monotonic() - clock
    eta = elapsed / done * (total - done) if done else 0.0
    report("archive", done / total if total else 1.0,
           f"{done}/{total} files · {summary.audio_seconds / 60:.1f} audio min · "
           f"{summary.failed} failed · ETA {int(eta // 60)}:{int(eta % 60):02d}")


def _flow_run_id() -> str | None:
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return str(context.flow_run.id) if context and context.flow_run else None
