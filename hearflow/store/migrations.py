"""The core schema, as an append-only list of sqlite-utils migrations. Never edit a step: add one."""

from __future__ import annotations

from sqlite_utils import Migrations

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
