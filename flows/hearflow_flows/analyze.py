"""``analyze-call``: one recording through decode → separate → transcribe → store → formats.

Stage results are cached by Prefect under a key made of the audio hash and the stage's resolved
options, so re-running a call (or an archive) skips the work already done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from hearflow.media.audiofile import Fingerprint
from hearflow.pipeline.engine import Engine
from hearflow.media.fetch import local_copy
from hearflow.models import AnalysisRecord, Audio, CallResult, DeliveryReport, Separation, Transcript
from hearflow.output.files import write_outputs
from hearflow.plugins.manager import get_plugin_manager
from hearflow.settings import AnalyzeSettings, digest
from hearflow.store.store import Store

log = logging.getLogger("hearflow")


NETWORK_RETRIES = 3


def _retrying(task_, stages):
    """Retry a task with backoff when any stage it may run touches a network."""
    if any(stage.network for stage in stages):
        return task_.with_options(retries=NETWORK_RETRIES, retry_delay_seconds=[1, 4, 16])
    return task_


def _stage_cache_key(stage: str):
    def key(context, parameters) -> str:
        return parameters["engine"].stage_key(stage, parameters["sha256"])

    return key


@task(name="decode", cache_key_fn=_stage_cache_key("decode"), persist_result=True)
def decode_audio(engine: Engine, print_: Fingerprint, sha256: str) -> Audio:
    return engine.decode(print_)


@task(name="separate")
def separate_speakers(engine: Engine, audio: Audio) -> Separation:
    return engine.separate(audio)


@task(name="transcribe", cache_key_fn=_stage_cache_key("transcribe"), persist_result=True)
def transcribe_tracks(engine: Engine, separation: Separation, sha256: str) -> list[Transcript]:
    return engine.transcribe(separation)


# With redaction on, the raw transcript is never written to the result cache: it holds what
# redaction removes. Such calls are transcribed again when re-run.
transcribe_uncached = task(name="transcribe", cache_policy=NO_CACHE, persist_result=False)(transcribe_tracks.fn)


def _transcribe_task(engine: Engine):
    return transcribe_uncached if engine.settings.redact else transcribe_tracks


@task(name="measure")
def measure_call(engine: Engine, result: CallResult) -> CallResult:
    return engine.measure(result)


class _AnalysisFailed(Exception):
    """Carries a failed analysis out of the task, so the failure is never cached."""

    def __init__(self, record: AnalysisRecord):
        super().__init__(record.error.message)
        self.record = record


@task(name="analyze", cache_key_fn=lambda context, p: p["engine"].stage_key("analyze", p["transcript_sha"]),
      persist_result=True)
def analyze_transcript(engine: Engine, result: CallResult, transcript_sha: str) -> AnalysisRecord | None:
    """Only the analysis is returned (and cached): it depends on the transcript, not on the file's
    name or the call's id, which the cache key leaves out."""
    record = engine.analyze(result).analysis
    if record is not None and record.error is not None:
        raise _AnalysisFailed(record)  # retried if the analyzer is networked, then stored as an error
    return record


@task(name="store")
def store_result(result: CallResult, db_path: str | None) -> None:
    store = Store(db_path, plugin_manager=(pm := get_plugin_manager()))
    try:
        store.save(result)
        for impl in pm.hook.on_call_complete.get_hookimpls():
            try:
                impl.function(result=result, db=store.db)
            except Exception:  # a faulty plugin must not undo a stored call
                log.exception("plugin %s failed in on_call_complete", impl.plugin_name)
    finally:
        store.close()


@task(name="deliver")
def deliver_result(engine: Engine, result: CallResult, db_path: str | None) -> list[DeliveryReport]:
    """Sinks run after the call is stored; every attempt is logged, a refusal never fails the run."""
    reports = engine.deliver(result)
    if reports:
        store = Store(db_path)
        try:
            store.save_deliveries(result.id, reports)
        finally:
            store.close()
    return reports


@task(name="write-formats")
def write_formats(engine: Engine, result: CallResult, formats: list[str], out_dir: str) -> list[str]:
    return [str(p) for p in write_outputs(engine.registry, result, formats, Path(out_dir))]


@dataclass
class AnalyzeOutcome:
    result: CallResult
    reused: bool
    outputs: list[str] = field(default_factory=list)
    deliveries: list[DeliveryReport] = field(default_factory=list)


def compute_call(engine: Engine, print_: Fingerprint, source: str) -> CallResult:
    """Every stage from decoding to analysis, as cached tasks. Writes nothing: callers store."""
    audio = _retrying(decode_audio, engine.decoders_for(print_.format))(engine, print_, print_.sha256)
    separation = _retrying(separate_speakers, [type(engine.diarizer)])(engine, audio)
    transcripts = _retrying(_transcribe_task(engine), [type(engine.asr)])(engine, separation, print_.sha256)
    result = engine.assemble(audio, separation, transcripts).model_copy(update={"source": source})
    result = engine.redact(result)  # before the first task that could keep the text
    result = measure_call(engine, result)
    if engine.analyzer is None or not result.has_speech:
        return engine.analyze(result)  # nothing to send: the engine records why
    # Keyed by what the analyzer reads, so an unchanged transcript is never sent twice.
    transcript_sha = digest([result.metrics, [s.model_dump() for s in result.segments]])
    analyzers = [type(engine.analyzer)] if engine.analyzer else []
    try:
        record = _retrying(analyze_transcript, analyzers)(engine, result, transcript_sha)
    except _AnalysisFailed as failed:
        record = failed.record
    return result.model_copy(update={"analysis": record})


def stored_call(engine: Engine, sha256: str, db_path: str | None) -> CallResult | None:
    """The stored call for these bytes, if it was made with the same options."""
    store = Store(db_path)
    try:
        # Other metrics or analyzer: redo those (the transcript comes from the stage cache).
        return store.find_current(engine.call_id(sha256), engine.resolved_options())
    finally:
        store.close()


@flow(name="analyze-call", flow_run_name="analyze {source}")
def analyze_call(
    source: str,
    settings: AnalyzeSettings | None = None,
    db_path: str | None = None,
    formats: list[str] | None = None,
    out_dir: str = ".",
    reuse: bool = True,
) -> AnalyzeOutcome:
    """Analyse one recording (a path or an https URL) and store it. With ``reuse``, identical
    bytes analysed with identical options return the stored call instead of a duplicate."""
    engine = Engine(settings or AnalyzeSettings())
    formats = list(formats or [])
    engine.prepare(formats)
    with local_copy(source, max_bytes=engine.settings.max_bytes) as path:
        print_ = engine.fingerprint(path)
        stored = stored_call(engine, print_.sha256, db_path) if reuse else None
        deliveries = []
        if stored is None:
            result = compute_call(engine, print_, source)
            store_result(result, db_path)
            if engine.sinks:
                deliveries = deliver_result(engine, result, db_path)
    result = stored or result
    outputs = write_formats(engine, result, formats, out_dir) if formats else []
    return AnalyzeOutcome(result=result, reused=stored is not None, outputs=outputs, deliveries=deliveries)
