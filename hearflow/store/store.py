"""The SQLite store: one row per call, its segments and words, full-text search over segments."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hearflow.store.sqlite import sqlite_utils

from hearflow.errors import ConfigError, HearflowError, NotFoundError, StoreError
from hearflow.store.health import check_newer_schema, check_schema, classify
from hearflow.store.metrics_tables import write_metric_rows
from hearflow.store.migrations import migrations
from hearflow.models import Answer, CallResult, DeliveryReport, ErrorInfo, utc_now

DB_ENV = "HEARFLOW_DB"
HOME_ENV = "HEARFLOW_HOME"


def home() -> Path:
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".hearflow").expanduser()


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or home() / "hearflow.db").expanduser()


class Store:
    """Opening a store checks it: a file that is not a database, cannot be written, was migrated
    by a newer hearflow or lacks a table's keys is a coded ``StoreError`` here, before any work.
    It applies the core's migrations and every plugin's, whoever opens it. ``writable=False``
    (commands that only read) skips the write checks, so a read-only store can still be read."""

    def __init__(self, path: str | Path | None = None, plugin_manager=None, *, writable: bool = True):
        from hearflow import __version__
        from hearflow.plugins.manager import call_hook, plugin_manager as default_manager

        self.path = Path(path or default_db_path()).expanduser()
        self.plugin_manager = plugin_manager or default_manager()
        self.db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            reading_only = not writable and self.path.exists()
            self.db = self._read_only() if reading_only else sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("select count(*) from sqlite_master").fetchall()  # not a database: fails here
            check_newer_schema(self.db, migrations, self.path, __version__)
            if not reading_only:
                self._probe_write()
                self.db.enable_wal()
            if not reading_only or migrations.pending(self.db):
                migrations.apply(self.db)
            check_schema(self.db, self.path)
            call_hook(self.plugin_manager, "register_migrations", strict=True,
                      register=lambda extra: extra.apply(self.db))
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise classify(exc, self.path) from None
        except HearflowError:
            self.close()
            raise

    def _read_only(self) -> sqlite_utils.Database:
        uri = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
            conn.execute("select count(*) from sqlite_master").fetchall()
        except sqlite3.OperationalError:
            # A WAL store without its -shm file, in a directory this user may not write: SQLite
            # can read it only as an immutable file (a copy nobody is writing to).
            conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
        return sqlite_utils.Database(conn)

    def _probe_write(self) -> None:
        # SQLite opens a file it may not write read-only without a word, and even grants it a
        # write lock; only a write shows it. This one is rolled back.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("CREATE TABLE main._hearflow_write_probe (x)")
        finally:
            self.db.execute("ROLLBACK")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """One transaction; a failure is a StoreError saying what was not stored."""
        try:
            with self.db.conn:
                yield
        except sqlite3.Error as exc:
            error = classify(exc, self.path)
            raise StoreError(f"{what} was not stored: {error.message}", code=error.code, hint=error.hint) from None

    def save(self, result: CallResult) -> None:
        """Write a call, replacing any earlier rows of the same id, in one transaction."""
        call_row = {
            "id": result.id, "sha256": result.sha256, "source": result.source, "format": result.format,
            "mode": result.mode, "diarized": int(result.diarized), "language": result.language,
            "model": result.model, "audio_seconds": result.audio_seconds, "channels": result.channels,
            "sample_rate": result.sample_rate, "speakers": len(result.speaker_timing),
            "speaker_timing": json.dumps(result.speaker_timing), "transcript": result.transcript,
            "notes": json.dumps(list(result.notes)), "options": json.dumps(result.options),
            "result_json": result.model_dump_json(), "generated_at": result.generated_at,
            "stored_at": utc_now(), "metrics": json.dumps(result.metrics),
            "summary": _summary(result), "analysis_error": _analysis_error(result),
        }
        segment_rows = [
            {"call_id": result.id, "idx": i, "start": s.start, "end": s.end, "speaker": s.speaker,
             "channel": s.channel, "text": s.text}
            for i, s in enumerate(result.segments)
        ]
        word_rows = [
            {"call_id": result.id, "segment_idx": i, "idx": j, "start": w.start, "end": w.end,
             "text": w.text, "probability": w.probability, "speaker": w.speaker, "channel": w.channel}
            for i, s in enumerate(result.segments) for j, w in enumerate(s.words)
        ]
        with self._writing(f"call {result.id}"):
            for table in ("words", "segments"):
                self.db[table].delete_where("call_id = ?", [result.id])
            self.db["calls"].upsert(call_row, pk="id")
            self.db["segments"].insert_all(segment_rows)
            self.db["words"].insert_all(word_rows)
            if result.analysis is not None:
                self.db["analyses"].insert(_analysis_row(result))
            write_metric_rows(self.db, result)

    def delete(self, call_id: str) -> None:
        """Remove a call and everything stored about it, in one transaction."""
        with self.db.conn:
            for table in ("words", "segments", "analyses", "answers", "deliveries"):
                self.db[table].delete_where("call_id = ?", [call_id])
            self.db["calls"].delete_where("id = ?", [call_id])

    def save_answer(self, call_id: str, answer: Answer) -> None:
        with self._writing(f"the answer about call {call_id}"):
            self.db["answers"].insert({
                "call_id": call_id, "question": answer.question, "answer": answer.answer,
                "quotes": json.dumps(list(answer.quotes)), "analyzer": answer.analyzer, "model": answer.model,
                "usage": json.dumps(answer.usage), "created_at": utc_now(),
            })

    def save_deliveries(self, call_id: str, reports: list[DeliveryReport]) -> None:
        """Log every delivery attempt, one row each."""
        with self._writing(f"the deliveries of call {call_id}"):
            self.db["deliveries"].insert_all(
                {"call_id": call_id, "sink": report.sink, "target": report.target, "attempt": attempt.attempt,
                 "at": attempt.at, "status": attempt.status, "error": attempt.error, "seconds": attempt.seconds,
                 "delivered": int(report.delivered and attempt is report.attempts[-1])}
                for report in reports for attempt in report.attempts)

    def deliveries(self, call_id: str) -> list[dict]:
        return list(self.db.query("select * from deliveries where call_id = ? order by id", [call_id]))

    def answers(self, call_id: str) -> list[dict]:
        return list(self.db.query("select * from answers where call_id = ? order by id", [call_id]))

    def analyses(self, call_id: str) -> list[dict]:
        return list(self.db.query("select * from analyses where call_id = ? order by id", [call_id]))

    def find(self, call_id: str) -> CallResult | None:
        rows = list(self.db.query("select result_json from calls where id = ?", [call_id]))
        return CallResult.model_validate_json(rows[0]["result_json"]) if rows else None

    def find_current(self, call_id: str, options: dict) -> CallResult | None:
        """The stored call, if it was made with these options and its analysis did not fail
        (a failed analysis is worth another try)."""
        stored = self.find(call_id)
        if stored is None or stored.options != options:
            return None
        return None if stored.analysis is not None and stored.analysis.error is not None else stored

    def save_failure(self, run_id: str, source: str, sha256: str | None, error: ErrorInfo) -> None:
        with self._writing(f"the failure of {source}"):
            self.db["failures"].insert({"run_id": run_id, "source": source, "sha256": sha256,
                                        "code": error.code, "message": error.message, "at": utc_now()})

    def start_run(self, run_id: str, started_at: str, sources: list[str], flow_run_id: str | None) -> None:
        """A row for a run as it starts, so its failures link to it even if it never finishes."""
        with self._writing(f"archive run {run_id}"):
            self.db["runs"].upsert({"id": run_id, "flow_run_id": flow_run_id, "started_at": started_at,
                                    "sources": json.dumps(sources)}, pk="id")

    def save_run(self, run_id: str, summary: dict, flow_run_id: str | None) -> None:
        counts = {k: summary[k] for k in ("found", "processed", "skipped", "duplicates", "failed",
                                          "audio_seconds", "wall_seconds")}
        with self._writing(f"archive run {run_id}"):
            self.db["runs"].upsert({"id": run_id, "flow_run_id": flow_run_id, "started_at": summary["started_at"],
                                    "finished_at": utc_now(), "sources": json.dumps(summary["sources"]),
                                    "summary": json.dumps(summary), **counts}, pk="id")

    def get(self, call_id: str) -> CallResult:
        """A call by id or unique id prefix."""
        rows = list(self.db.query("select id, result_json from calls where id like ? || '%' limit 2",
                                  [call_id]))
        if len(rows) != 1:
            problem = "matches more than one call" if rows else "is not in the store"
            raise NotFoundError(f"call '{call_id}' {problem} ({self.path})",
                                hint="list stored calls with: hearflow calls")
        return CallResult.model_validate_json(rows[0]["result_json"])

    def calls(self, limit: int = 50) -> list[dict]:
        return list(self.db.query(
            "select id, source, audio_seconds, speakers, mode, language, stored_at from calls "
            "order by stored_at desc limit ?", [limit]))

    def search(self, query: str, limit: int = 20) -> list[dict]:
        try:
            return list(self.db.query(
                "select segments.call_id, segments.start, segments.speaker, segments.text "
                "from segments join segments_fts on segments.rowid = segments_fts.rowid "
                "where segments_fts match ? order by segments_fts.rank limit ?", [query, limit]))
        except sqlite3.OperationalError as exc:
            raise ConfigError(f"search query {query!r} is not valid FTS5 syntax ({exc})", code="invalid_query",
                              hint='quote phrases: hearflow search \'"tracking link"\'') from None


def _summary(result: CallResult) -> str | None:
    record = result.analysis
    return record.analysis.summary if record and record.analysis else None


def _analysis_error(result: CallResult) -> str | None:
    record = result.analysis
    return f"{record.error.code}: {record.error.message}" if record and record.error else None


def _analysis_row(result: CallResult) -> dict:
    record = result.analysis
    return {
        "call_id": result.id, "analyzer": record.analyzer, "model": record.model,
        "heuristic": int(record.heuristic),
        "analysis": record.analysis.model_dump_json() if record.analysis else None,
        "error_code": record.error.code if record.error else None,
        "error_message": record.error.message if record.error else None,
        "usage": json.dumps(record.usage), "attempts": record.attempts, "created_at": utc_now(),
    }
