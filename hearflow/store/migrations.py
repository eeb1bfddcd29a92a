"""The core schema, as an append-only list of sqlite-utils migrations. Never edit a step: add one."""

from __future__ import annotations

from hearflow.store.sqlite import Migrations

migrations = Migrations("hearflow")


@migrations()
def m001_calls_segments_words(db):
    db["calls"].create(
        {
            "id": str, "sha256": str, "source": str, "format": str, "mode": str, "diarized": int,
            "language": str, "model": str, "audio_seconds": float, "channels": int,
            "sample_rate": int, "speakers": int, "speaker_timing": str, "transcript": str,
            "notes": str, "options": str, "result_json": str, "generated_at": str, "stored_at": str,
        },
        pk="id",
        not_null={"sha256", "result_json"},
    )
    db["segments"].create(
        {"id": int, "call_id": str, "idx": int, "start": float, "end": float, "speaker": str,
         "channel": int, "text": str},
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
    )
    db["words"].create(
        {"id": int, "call_id": str, "segment_idx": int, "idx": int, "start": float, "end": float,
         "text": str, "probability": float, "speaker": str, "channel": int},
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
    )
    db["calls"].create_index(["sha256"])
    db["segments"].create_index(["call_id", "idx"], unique=True)
    db["words"].create_index(["call_id", "segment_idx", "idx"], unique=True)
    db["segments"].enable_fts(["text"], create_triggers=True, tokenize="porter")


@migrations()
def m002_metrics_analyses_answers(db):
    db["calls"].add_column("metrics", str)
    db["calls"].add_column("summary", str)
    db["calls"].add_column("analysis_error", str)
    db["analyses"].create(
        {"id": int, "call_id": str, "analyzer": str, "model": str, "heuristic": int, "analysis": str,
         "error_code": str, "error_message": str, "usage": str, "attempts": int, "created_at": str},
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
    )
    db["answers"].create(
        {"id": int, "call_id": str, "question": str, "answer": str, "quotes": str, "analyzer": str,
         "model": str, "usage": str, "created_at": str},
        pk="id",
        foreign_keys=[("call_id", "calls", "id")],
    )
    db["analyses"].create_index(["call_id"])
    db["answers"].create_index(["call_id"])


@migrations()
def m003_deliveries_runs(db):
    db["deliveries"].create(
        {"id": int, "call_id": str, "sink": str, "target": str, "attempt": int, "at": str, "status": int,
         "error": str, "seconds": float, "delivered": int},
        pk="id",
    )
    db["deliveries"].create_index(["call_id"])
    db["runs"].create(
        {"id": str, "flow_run_id": str, "started_at": str, "finished_at": str, "sources": str,
         "found": int, "processed": int, "skipped": int, "duplicates": int, "failed": int,
         "audio_seconds": float, "wall_seconds": float, "summary": str},
        pk="id",
    )
    db["failures"].create(
        {"id": int, "run_id": str, "source": str, "sha256": str, "code": str, "message": str, "at": str},
        pk="id",
    )
    db["failures"].create_index(["run_id"])


@migrations()
def m004_metric_columns(db):
    """Metrics and analysis as columns (``call_metrics``, ``call_speakers``, ``call_trackers``) and
    a ``call_overview`` view, filled for the calls already stored."""
    from hearflow.models import CallResult
    from hearflow.store.metrics_tables import (CALL_METRICS_SCHEMA, CALL_SPEAKERS_SCHEMA, CALL_TRACKERS_SCHEMA,
                                               write_metric_rows)

    db["call_metrics"].create(CALL_METRICS_SCHEMA, pk="call_id", foreign_keys=[("call_id", "calls", "id")])
    db["call_speakers"].create(CALL_SPEAKERS_SCHEMA, pk=("call_id", "speaker"),
                               foreign_keys=[("call_id", "calls", "id")])
    db["call_trackers"].create(CALL_TRACKERS_SCHEMA, pk=("call_id", "tracker"),
                               foreign_keys=[("call_id", "calls", "id")])
    for (call_id,) in db.execute("select id from calls").fetchall():  # one call in memory at a time
        (stored,) = db.execute("select result_json from calls where id = ?", [call_id]).fetchone()
        write_metric_rows(db, CallResult.model_validate_json(stored))
    db.create_view("call_overview", """
        select calls.id, calls.source, calls.stored_at, calls.audio_seconds, calls.mode, calls.language,
               calls.speakers, call_metrics.*
        from calls left join call_metrics on call_metrics.call_id = calls.id""")


@migrations()
def m005_foreign_keys_deliveries_failures(db):
    """deliveries.call_id → calls.id and failures.run_id → runs.id, rebuilt with their rows kept;
    a run that failed files but never finished gets a runs row so every failure links to one."""
    db.execute("insert or ignore into runs (id, started_at) select run_id, min(at) from failures "
               "where run_id not in (select id from runs) group by run_id")
    db["deliveries"].transform(add_foreign_keys=[("call_id", "calls", "id")])
    db["failures"].transform(add_foreign_keys=[("run_id", "runs", "id")])


@migrations()
def m006_api_keys_jobs_usage(db):
    """The HTTP API: keys (only a hash of each secret), jobs claimed by workers in a transaction,
    the usage ledger (integer milliseconds, so sums are exact), and which key owns which call."""
    db["api_keys"].create(
        {"id": str, "name": str, "prefix": str, "secret_hash": str, "scopes": str, "test": int,
         "daily_seconds": float, "credit_seconds": float, "created_at": str, "revoked_at": str},
        pk="id", not_null={"secret_hash", "scopes"},
    )
    db["api_keys"].create_index(["secret_hash"], unique=True)
    # seq orders jobs (newest first, a stable cursor); the partial unique index is what makes a
    # concurrent retry with the same Idempotency-Key find the first job instead of adding one.
    db.execute("""
        CREATE TABLE api_jobs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            key_id TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            started_at TEXT, completed_at TEXT,
            request TEXT NOT NULL,
            audio_url TEXT, spool_path TEXT, audio_sha256 TEXT,
            idempotency_key TEXT, body_hash TEXT,
            call_id TEXT, error_code TEXT, error_message TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            instance_id TEXT,
            units_ms INTEGER,
            outputs TEXT,
            webhook_url TEXT, webhook_state TEXT
        )""")
    db.execute("CREATE UNIQUE INDEX api_jobs_idempotency ON api_jobs (key_id, idempotency_key) "
               "WHERE idempotency_key IS NOT NULL")
    db.execute("CREATE INDEX api_jobs_status ON api_jobs (status, seq)")
    db.execute("CREATE INDEX api_jobs_key ON api_jobs (key_id, seq)")
    db["api_usage"].create(
        {"id": int, "key_id": str, "at": str, "day": str, "units_ms": int, "kind": str, "ref": str},
        pk="id", not_null={"key_id", "units_ms"},
    )
    db["api_usage"].create_index(["key_id", "day"])
    db["api_usage"].create_index(["kind", "ref"], unique=True)  # one charge per call analysed or job
    db["api_key_calls"].create({"key_id": str, "call_id": str, "at": str}, pk=("key_id", "call_id"))
    db["api_instances"].create({"id": str, "host": str, "pid": int, "started_at": str, "heartbeat_at": float},
                               pk="id")
    db["api_job_deliveries"].create(
        {"id": int, "job_id": str, "event": str, "target": str, "attempt": int, "at": str, "status": int,
         "error": str, "seconds": float, "delivered": int},
        pk="id",
    )
    db["api_job_deliveries"].create_index(["job_id"])
    db["api_secrets"].create({"name": str, "value": str}, pk="name")


@migrations()
def m007_api_job_reservations(db):
    """What a queued job holds of its key's daily cap and credit until it is billed: the
    upload's length from its headers (an audio_url's length is known only once fetched)."""
    db["api_jobs"].add_column("reserved_ms", int)
