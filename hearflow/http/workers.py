"""A job worker: a thread with its own engine (the model loads once per worker, not per job)
taking queued jobs from the store, plus a heartbeat and the webhook deliverer. The server runs
each worker in a child process of its own (see worker_process)."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path

from hearflow.errors import HearflowError
from hearflow.http.database import Database
from hearflow.http.jobs import Instance
from hearflow.http.ledger import units_ms
from hearflow.http.pipeline import run_call
from hearflow.http.settings import ApiSettings
from hearflow.http.webhooks import JobEvents
from hearflow.settings import AnalyzeSettings, digest

log = logging.getLogger("hearflow.http.jobs")
ENGINES_PER_WORKER = 4  # engines for distinct job options (mode, language, speakers) kept warm


def job_settings(base: AnalyzeSettings, fields: dict) -> AnalyzeSettings:
    """The server's settings with one job's choices on top."""
    data = base.model_dump()
    if fields.get("channel"):
        data["mode"] = "channel"
    elif fields.get("diarize"):
        data["mode"] = "mono"
    else:
        data["mode"] = "auto"
    if fields.get("language"):
        data["asr_options"] = {**data["asr_options"], "language": fields["language"]}
    hints = {name: fields[name] for name in ("num_speakers", "min_speakers", "max_speakers") if fields.get(name)}
    data["diarizer_options"] = {**data["diarizer_options"], **hints}
    if fields.get("redact"):
        data["redact"] = fields["redact"]
    if fields.get("vocabulary"):
        data["asr_options"] = {**data["asr_options"], "vocabulary": fields["vocabulary"]}
    return AnalyzeSettings.parse(data, source="job")


class Engines:
    """Engines by settings, for one thread. Whisper models are cached by the ASR stage itself."""

    def __init__(self):
        self._engines: dict[str, object] = {}

    def get(self, settings: AnalyzeSettings):
        from hearflow.pipeline.engine import Engine

        key = digest(settings.model_dump(mode="json"))
        engine = self._engines.pop(key, None) or Engine(settings)
        self._engines[key] = engine  # most recently used last
        while len(self._engines) > ENGINES_PER_WORKER:
            self._engines.pop(next(iter(self._engines)))
        return engine


def job_dir(settings: ApiSettings, job_id: str) -> Path:
    return settings.data_dir / "jobs" / job_id


def spool_dir(settings: ApiSettings) -> Path:
    return settings.data_dir / "spool"


class WorkerPool:
    def __init__(self, settings: ApiSettings, db: Database, policy):
        self.settings, self.db, self.policy = settings, db, policy
        self.instance = Instance(db)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.events = JobEvents(settings, db, policy, self.instance)
        self.threads: list[threading.Thread] = []
        self.ready = threading.Barrier(settings.workers + 1) if settings.workers else None

    def start(self) -> None:
        self.instance.recover(self.settings.lease_seconds)
        self._sweep_spool()
        for number in range(self.settings.workers):
            self._spawn(self._work, f"hearflow-worker-{number + 1}")
        self._spawn(self._beat, "hearflow-heartbeat")
        self._spawn(self.events.run_forever, "hearflow-webhooks", self.stopping)
        if self.ready is not None:
            self.ready.wait()  # every worker has loaded its engine: healthz may say ready

    def _spawn(self, target, name, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.events.wake.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.instance.retire()

    def _beat(self) -> None:
        interval = self.settings.lease_seconds / 3
        while not self.stopping.wait(interval):
            try:
                self.instance.beat()
                if self.instance.recover(self.settings.lease_seconds):
                    self.wake.set()
            except Exception:
                log.exception("heartbeat failed")

    def _work(self) -> None:
        from hearflow.store.store import Store

        engines = Engines()
        try:
            engines.get(self.settings.analyze).prepare()  # load the model before saying ready
        except BaseException:
            self.ready.abort()  # the server fails to start instead of waiting for this worker
            raise
        self.ready.wait()
        store = Store(self.settings.db_path)
        try:
            while not self.stopping.is_set():
                job = self.instance.claim()
                if job is None:
                    self.wake.wait(self.settings.poll_seconds)
                    self.wake.clear()
                    continue
                self.process(job, engines, store)
        finally:
            store.close()

    def process(self, job: dict, engines: Engines, store) -> None:
        started = time.monotonic()
        fields = json.loads(job["request"])
        try:
            engine = engines.get(job_settings(self.settings.analyze, fields))
            formats = fields.get("formats") or []
            engine.prepare(formats)
            if job["audio_url"]:
                self.policy.check(job["audio_url"], field="audio_url")
            outcome = run_call(engine, store, job["audio_url"] or job["spool_path"], formats=formats,
                               out_dir=job_dir(self.settings, job["id"]),
                               url_check=lambda url: self.policy.check(url, field="audio_url"))  # each redirect
            outputs = {name: Path(path).name for name, path in zip(formats, outcome.outputs)}
            finished = self.instance.complete(job, call_id=outcome.result.id,
                                              units=units_ms(outcome.result.audio_seconds), outputs=outputs)
            status = "completed"
        except Exception as exc:  # every failure is the job's coded error, never the worker's end
            code, message = _coded(exc)
            finished = self.instance.fail(job, code=code, message=message)
            status = "failed"
        if not finished:  # another instance took the job over; its run is the one that counts
            log.warning("job %s was taken over by another server; result discarded", job["id"])
            return
        if job["spool_path"]:
            shutil.rmtree(Path(job["spool_path"]).parent, ignore_errors=True)
        log.info(json.dumps({"event": "job", "job": job["id"], "status": status, "attempt": job["attempts"] + 1,
                             "seconds": round(time.monotonic() - started, 3)}))
        if job["webhook_url"]:
            self.events.wake.set()

    def _sweep_spool(self) -> None:
        """Uploads of jobs that finished just before a crash, whose files were not yet removed."""
        root = spool_dir(self.settings)
        if not root.exists():
            return
        live = {Path(row["spool_path"]).parent.name for row in
                self.db.query("SELECT spool_path FROM api_jobs WHERE spool_path IS NOT NULL")}
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in live and folder.name.startswith("job_"):
                shutil.rmtree(folder, ignore_errors=True)


def _coded(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, HearflowError):
        return exc.code, exc.message
    log.exception("job failed with an unexpected error")
    return "internal", f"{type(exc).__name__}: {exc}"
