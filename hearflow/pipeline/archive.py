"""An archive run, whatever runs its calls: plan (fingerprint, skip stored calls and repeated
bytes), compute the rest concurrently, and put each finished call through the one tail at once,
from this thread only, so there is one writer of the store and a crash loses no finished call.

The runner supplies ``compute_all``: it takes the planned calls and yields each one's
:class:`Computed` as it finishes (threads here, Prefect tasks or Dask in ``hearflow_flows``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel, Field

from hearflow.errors import HearflowError, StoreError
from hearflow.media.audiofile import Fingerprint
from hearflow.media.fetch import is_url, local_copy
from hearflow.models import CallResult, ErrorInfo, utc_now
from hearflow.pipeline.runner import compute, stored_call
from hearflow.pipeline.sources import BadEntry
from hearflow.pipeline.tail import finish
from hearflow.progress import report

Planned = tuple[str, Fingerprint | None]  # a URL is fingerprinted once fetched


@dataclass
class Computed:
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


def error_info(exc: Exception) -> ErrorInfo:
    if isinstance(exc, HearflowError):
        return ErrorInfo(code=exc.code, message=exc.message)
    return ErrorInfo(code="internal", message=f"{type(exc).__name__}: {exc}")


def compute_one(engine, source: str, fingerprint: Fingerprint | None = None, compute=compute,
                check=None) -> Computed:
    """One recording through every step (``compute``: in this process unless a runner passes its
    own). Failures come back as data so the archive goes on. ``check`` is a rule every hop of a
    URL's download must pass (the HTTP API's outbound policy)."""
    sha256 = fingerprint.sha256 if fingerprint else None
    try:
        with local_copy(source, max_bytes=engine.settings.max_bytes, check=check) as path:
            fingerprint = fingerprint or engine.fingerprint(path)
            return Computed(source, fingerprint.sha256, result=compute(engine, fingerprint, source))
    except Exception as exc:  # one bad file must never stop the archive
        return Computed(source, sha256, error=error_info(exc))


def plan(engine, store, items: list[str | BadEntry], summary: ArchiveSummary, reuse: bool) -> list[Planned]:
    """Fingerprint local files up front: duplicates and stored calls are skipped before any work."""
    summary.found = len(items)
    todo, seen = [], set()
    for source in items:
        if isinstance(source, BadEntry):  # a list file's line that could not be read
            _fail(store, summary, source.source, None, error_info(source.error))
            continue
        if is_url(source):
            todo.append((source, None))
            continue
        try:
            fingerprint = engine.fingerprint(source)
        except HearflowError as exc:
            _fail(store, summary, source, None, error_info(exc))
            continue
        if fingerprint.sha256 in seen:
            summary.duplicates += 1
        elif reuse and stored_call(engine, store, fingerprint.sha256):
            summary.skipped += 1
        else:
            seen.add(fingerprint.sha256)
            todo.append((source, fingerprint))
    return todo


def run_archive(engine, store, items: list[str], compute_all: Callable[[list[Planned]], Iterable[Computed]], *,
                sources: list[str], reuse: bool = True, formats=(), out_dir=None,
                flow_run_id: str | None = None) -> ArchiveSummary:
    clock = time.monotonic()
    summary = ArchiveSummary(run_id=uuid.uuid4().hex[:12], started_at=utc_now(), sources=list(sources))
    store.start_run(summary.run_id, summary.started_at, summary.sources, flow_run_id)
    todo = plan(engine, store, items, summary, reuse)
    if todo:  # an unchanged archive loads no model
        engine.prepare(formats)
    seen = {fingerprint.sha256 for _, fingerprint in todo if fingerprint}
    for done, computed in enumerate(compute_all(todo), start=1):
        _record(engine, store, computed, summary, seen, formats, out_dir)
        _progress(summary, done, len(todo), clock)
    summary.wall_seconds = round(time.monotonic() - clock, 2)
    store.save_run(summary.run_id, summary.model_dump(), flow_run_id)
    return summary


def threads(engine, workers: int) -> Callable[[list[Planned]], Iterator[Computed]]:
    """Compute planned calls on ``workers`` threads of this process, yielding them as they finish."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def compute_all(todo: list[Planned]) -> Iterator[Computed]:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hearflow-call") as pool:
            futures = [pool.submit(compute_one, engine, source, fingerprint) for source, fingerprint in todo]
            for future in as_completed(futures):
                yield future.result()

    return compute_all


def _record(engine, store, computed: Computed, summary, seen, formats, out_dir) -> None:
    if computed.error is not None:
        _fail(store, summary, computed.source, computed.sha256, computed.error)
        return
    result = computed.result
    if is_url(computed.source):  # a URL's bytes are only known now
        if result.sha256 in seen:
            summary.duplicates += 1
            return
        seen.add(result.sha256)
    outcome = finish(engine, store, result, formats, out_dir)
    if not outcome.stored:
        _fail(store, summary, computed.source, result.sha256, outcome.store_error)
        return
    summary.processed += 1
    summary.audio_seconds = round(summary.audio_seconds + result.audio_seconds, 3)
    summary.calls.append({"id": result.id, "source": result.source, "audio_seconds": result.audio_seconds,
                          "speakers": len(result.speaker_timing), "outputs": outcome.outputs,
                          "summary": result.analysis.analysis.summary
                          if result.analysis and result.analysis.analysis else None})


def _fail(store, summary, source, sha256, error: ErrorInfo) -> None:
    summary.failed += 1
    summary.failures.append({"source": source, "code": error.code, "message": error.message})
    try:
        store.save_failure(summary.run_id, source, sha256, error)
    except StoreError:  # the summary still carries it when the store refuses writes
        pass


def _progress(summary, done, total, clock) -> None:
    elapsed = time.monotonic() - clock
    eta = elapsed / done * (total - done) if done else 0.0
    report("archive", done / total if total else 1.0,
           f"{done}/{total} files · {summary.audio_seconds / 60:.1f} audio min · "
           f"{summary.failed} failed · ETA {int(eta // 60)}:{int(eta % 60):02d}")
