"""The job worker: the archive's machinery on a queue that never ends.

As in ``hearflow archive``, calls are computed concurrently (``--workers`` threads sharing one
engine per job settings, so one model in memory and ASR of one call overlapping decoding and
diarization of the next), each by the archive's ``compute_one``, and a single thread puts every
finished call through the one tail and finishes its job: one writer of the store. With
``--prefect`` the calls are computed by runs on a Prefect work pool instead, and the same thread
finishes them. The server runs this in a child process of its own (see worker_process).
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hearflow.errors import HearflowError
from hearflow.http.database import Database
from hearflow.http.handoff import read_computed
from hearflow.http.jobs import FINISHED, Instance
from hearflow.http.ledger import units_ms
from hearflow.http.pipeline import require_stored
from hearflow.http.settings import ApiSettings
from hearflow.http.webhooks import JobEvents
from hearflow.models import ErrorInfo
from hearflow.pipeline.archive import Computed, compute_one, error_info
from hearflow.settings import AnalyzeSettings, digest

log = logging.getLogger("hearflow.http.jobs")
ENGINES_KEPT = 4  # engines for distinct job options (mode, language, speakers) kept warm


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
    """Engines by settings, shared by the threads of one process (an archive shares its one
    engine the same way). Whisper models are cached by the ASR stage itself."""

    def __init__(self):
        self._engines: dict[str, object] = {}
        self._lock = threading.Lock()

    def get(self, settings: AnalyzeSettings):
        from hearflow.pipeline.engine import Engine

        key = digest(settings.model_dump(mode="json"))
        with self._lock:
            engine = self._engines.pop(key, None) or Engine(settings)
            self._engines[key] = engine  # most recently used last
            while len(self._engines) > ENGINES_KEPT:
                self._engines.pop(next(iter(self._engines)))
        return engine

    def prepared(self, settings: AnalyzeSettings, formats=()):
        """The engine with its models loaded, one loader at a time (two threads must not load
        the same model twice)."""
        engine = self.get(settings)
        with self._lock:
            engine.prepare(formats)
        return engine


def job_dir(settings: ApiSettings, job_id: str) -> Path:
    return settings.data_dir / "jobs" / job_id


def spool_dir(settings: ApiSettings) -> Path:
    return settings.spool_root


@dataclass
class Worked:
    """A job's call, computed (or reused, or failed), waiting for the tail thread."""
    job: dict
    started: float
    engine: object | None
    computed: Computed
    reused: bool = False


class WorkerPool:
    def __init__(self, settings: ApiSettings, db: Database, policy, remote=None):
        self.settings, self.db, self.policy = settings, db, policy
        self.remote = remote  # work_pool_jobs of the prefect runner, with --prefect
        self.instance = Instance(db)
        self.engines = Engines()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.finished: queue.Queue[Worked | None] = queue.Queue()
        self.events = JobEvents(settings, db, policy, self.instance)
        self.threads: list[threading.Thread] = []
        self.tail: threading.Thread | None = None

    def start(self) -> None:
        self.instance.recover(self.settings.lease_seconds)
        self._sweep_spool()
        if self.settings.workers and self.remote is None:
            self.engines.prepared(self.settings.analyze)  # the model loads before the server says ready
        self.tail = threading.Thread(target=self._tail, name="hearflow-tail", daemon=True)
        self.tail.start()
        if self.remote is not None:
            self._spawn(self._dispatch, "hearflow-dispatch")
        else:
            for number in range(self.settings.workers):
                self._spawn(self._work, f"hearflow-worker-{number + 1}")
        self._spawn(self._beat, "hearflow-heartbeat")
        self._spawn(self.events.run_forever, "hearflow-webhooks", self.stopping)

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
        self.finished.put(None)  # after every computed call: the tail finishes them all first
        self.tail.join(timeout=30)
        if self.remote is not None:
            self.remote.close()
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

    def _idle(self) -> None:
        self.wake.wait(self.settings.poll_seconds)
        self.wake.clear()

    # -- computing here -------------------------------------------------------------------------

    def _work(self) -> None:
        from hearflow.store.store import Store

        store = Store(self.settings.db_path)  # read only here: is the call stored already?
        try:
            while not self.stopping.is_set():
                job = self.instance.claim()
                if job is None:
                    self._idle()
                    continue
                self.finished.put(self.compute(job, store))
        finally:
            store.close()

    def compute(self, job: dict, store) -> Worked:
        """One job's call, as an archive computes one (the stored call when it has one)."""
        from hearflow.pipeline.runner import compute, stored_call

        started, engine, reused = time.monotonic(), None, []
        fields = json.loads(job["request"])
        source = job["audio_url"] or job["spool_path"]

        def stored_or_computed(engine, fingerprint, source):
            stored = stored_call(engine, store, fingerprint.sha256)
            if stored is not None:
                reused.append(stored)
                return stored
            return compute(engine, fingerprint, source)

        try:
            engine = self.engines.prepared(job_settings(self.settings.analyze, fields), fields.get("formats") or [])
            check = self._url_check if job["audio_url"] else None
            if check:
                check(source)
            computed = compute_one(engine, source, compute=stored_or_computed, check=check)
        except Exception as exc:  # every failure is the job's coded error, never the worker's end
            computed = Computed(source, None, error=_coded(exc))
        return Worked(job, started, engine, computed, reused=bool(reused))

    def _url_check(self, url: str) -> None:
        self.policy.check(url, field="audio_url")  # every redirect too

    # -- computing on a Prefect work pool -------------------------------------------------------

    def _dispatch(self) -> None:
        """Hand up to ``workers`` jobs at a time to the work pool, and collect their runs."""
        from hearflow.store.store import Store

        store = Store(self.settings.db_path)
        running: dict[str, tuple[dict, str, float]] = {}  # job id → (job, flow run id, started)
        try:
            while not self.stopping.is_set():
                while len(running) < self.settings.workers and not self.stopping.is_set():
                    job = self.instance.claim()
                    if job is None:
                        break
                    handed = self._hand_over(job, store)
                    if isinstance(handed, Worked):
                        self.finished.put(handed)
                    else:
                        running[job["id"]] = (job, handed, time.monotonic())
                for job_id, ended in self._ended(running).items():
                    self.finished.put(self._collect(*running.pop(job_id), ended))
                self._idle()
        finally:
            store.close()

    def _hand_over(self, job: dict, store) -> Worked | str:
        """The job's flow run id; or, with no run needed, the job's outcome (a stored call for
        the same upload, or a refusal)."""
        from hearflow.pipeline.runner import stored_call
        from hearflow.pipeline.secrets import withhold_secrets

        started, fields = time.monotonic(), json.loads(job["request"])
        source = job["audio_url"] or job["spool_path"]
        try:
            settings = job_settings(self.settings.analyze, fields)
            engine = self.engines.get(settings)  # for the tail here: its sinks and formats, no model
            if job["audio_sha256"] and (stored := stored_call(engine, store, job["audio_sha256"])):
                return Worked(job, started, engine, Computed(source, stored.sha256, result=stored), reused=True)
            public = withhold_secrets(settings, engine.registry)  # secrets reach workers by environment
            return self.remote.start(job["id"], {
                "job_id": job["id"], "source": source, "settings": public.model_dump(mode="json"),
                "spool_dir": str(self.settings.spool_root), "allow_outbound": list(self.settings.allow_outbound)})
        except Exception as exc:
            return Worked(job, started, None, Computed(source, None, error=_coded(exc)))

    def _ended(self, running: dict) -> dict[str, str]:
        """Of the running jobs, those whose flow run ended, with how (one request to Prefect)."""
        if not running:
            return {}
        try:
            ends = self.remote.outcomes([run_id for _, run_id, _ in running.values()])
        except Exception:
            log.exception("could not read the flow runs of %d job(s)", len(running))
            return {}
        return {job_id: ends[run_id] for job_id, (_, run_id, _) in running.items() if ends.get(run_id)}

    def _collect(self, job: dict, run_id: str, started: float, ended: str) -> Worked:
        source = job["audio_url"] or job["spool_path"]
        computed = read_computed(self.settings.spool_root / job["id"]) if ended == "completed" else None
        if computed is None:
            message = ended if ended != "completed" else f"flow run {run_id} handed back no result"
            computed = Computed(source, None, error=ErrorInfo(code="worker_failed", message=message))
        engine = self.engines.get(job_settings(self.settings.analyze, json.loads(job["request"])))
        return Worked(job, started, engine, computed)

    # -- the one writer -------------------------------------------------------------------------

    def _tail(self) -> None:
        from hearflow.store.store import Store

        store = Store(self.settings.db_path)
        try:
            while (worked := self.finished.get()) is not None:
                try:
                    self.settle(worked, store)
                except Exception:
                    log.exception("job %s could not be finished", worked.job["id"])
        finally:
            store.close()

    def settle(self, worked: Worked, store) -> None:
        """Store the call through the one tail, then finish the job (billed) or fail it."""
        from hearflow.pipeline.tail import finish, write_formats

        job, computed, result = worked.job, worked.computed, worked.computed.result
        fields = json.loads(job["request"])
        formats, out_dir = fields.get("formats") or [], job_dir(self.settings, job["id"])
        try:
            if computed.error is not None:
                raise _Failed(computed.error)
            if worked.reused:  # the stored call: its formats only
                written = write_formats(worked.engine, result, formats, out_dir)
            else:
                written = require_stored(finish(worked.engine, store, result, formats, out_dir)).outputs
            outputs = {name: Path(path).name for name, path in zip(formats, written)}
            done = self.instance.complete(job, call_id=result.id, units=units_ms(result.audio_seconds),
                                          outputs=outputs)
            status = "completed"
        except Exception as exc:
            error = exc.error if isinstance(exc, _Failed) else _coded(exc)
            done = self.instance.fail(job, code=error.code, message=error.message)
            status = "failed"
        if not done:  # another instance took the job over; its run is the one that counts
            log.warning("job %s was taken over by another server; result discarded", job["id"])
            return
        shutil.rmtree(self.settings.spool_root / job["id"], ignore_errors=True)
        log.info(json.dumps({"event": "job", "job": job["id"], "status": status, "attempt": job["attempts"] + 1,
                             "seconds": round(time.monotonic() - worked.started, 3)}))
        if job["webhook_url"]:
            self.events.wake.set()

    def _sweep_spool(self) -> None:
        """Folders of jobs that finished just before a crash, whose files were not yet removed."""
        root = self.settings.spool_root
        if not root.exists():
            return
        live = {row["id"] for row in self.db.query(
            f"SELECT id FROM api_jobs WHERE status NOT IN ({', '.join('?' * len(FINISHED))})", FINISHED)}
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in live and folder.name.startswith("job_"):
                shutil.rmtree(folder, ignore_errors=True)


class _Failed(Exception):
    def __init__(self, error: ErrorInfo):
        super().__init__(error.message)
        self.error = error


def _coded(exc: Exception) -> ErrorInfo:
    if not isinstance(exc, HearflowError):
        log.exception("job failed with an unexpected error")
    return error_info(exc)
