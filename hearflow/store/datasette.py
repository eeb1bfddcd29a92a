"""Datasette metadata for a hearflow store: titles, descriptions, facets, and the internal tables
(full-text index, migration log) hidden. ``hearflow datasette-metadata`` prints it."""

from __future__ import annotations

from pathlib import Path

# Tables a person browsing calls has no use for: the FTS index and its shadow tables, the migration log.
HIDDEN = ("segments_fts", "segments_fts_data", "segments_fts_idx", "segments_fts_docsize", "segments_fts_config",
          "_sqlite_migrations")

TABLES = {
    "calls": {
        "title": "Calls",
        "description": "One row per analysed recording. A call's id is its audio hash plus the transcription "
                       "options, so the same bytes analysed the same way are one call.",
        "label_column": "source",
        "facets": ["mode", "language", "speakers", "diarized"],
        "sort_desc": "stored_at",
        "columns": {"source": "the file or URL the audio came from", "audio_seconds": "length of the recording",
                    "mode": "channel: one speaker per channel; mono: speakers found by a diarizer",
                    "metrics": "every metric stage's report as JSON (the call_ tables have them as columns)",
                    "result_json": "the whole result, as `hearflow show ID --format json` prints it"},
    },
    "call_overview": {
        "title": "Call overview",
        "description": "Each call with its conversation metrics and its analysis, one row per call.",
        "facets": ["mode", "sentiment", "resolution", "agent_performance", "escalation_risk"],
    },
    "call_metrics": {
        "title": "Call metrics and analysis",
        "description": "The conversation metrics and the nine analysis dimensions of each call, as columns.",
        "facets": ["sentiment", "resolution", "agent_performance", "escalation_risk", "compliance",
                   {"array": "key_topics"}],
        "columns": {"interactivity": "speaker switches per minute", "patience": "mean pause (s) before the agent "
                    "answers", "silence_share": "share of the call where nobody speaks (0-1)",
                    "satisfaction_score": "expected customer satisfaction, 1 (worst) to 5",
                    "heuristic": "1: rules and lexicons, not a language model"},
    },
    "call_speakers": {
        "title": "Speakers",
        "description": "Talk time, talk ratio, words, pace, longest monologue and questions per speaker of each call.",
        "facets": ["speaker", "is_agent"],
        "columns": {"talk_ratio": "share of all talk time, silence excluded (0-1)",
                    "is_agent": "1 for the speaker the agent rule picked"},
    },
    "call_trackers": {
        "title": "Tracker hits",
        "description": "How often each keyword tracker (pricing, objections, competitors, …) hit in each call.",
        "facets": ["tracker"],
    },
    "segments": {
        "title": "Transcript segments",
        "description": "What each speaker said, with start and end times in seconds. Searchable.",
        "facets": ["speaker", "channel"],
        "fts_table": "segments_fts",
        "fts_pk": "id",
    },
    "words": {"title": "Words", "description": "Every recognised word with its times, speaker and confidence."},
    "analyses": {
        "title": "Analyses",
        "description": "Every analysis run on a call (an LLM or the offline analyzer), kept when redone.",
        "facets": ["analyzer", "error_code"],
    },
    "answers": {"title": "Answers", "description": "Questions asked about a call with `hearflow ask`, and the answers."},
    "deliveries": {
        "title": "Deliveries",
        "description": "Every attempt to deliver a call to a sink (webhook), with its HTTP status.",
        "facets": ["sink", "delivered", "status"],
    },
    "runs": {"title": "Archive runs", "description": "One row per `hearflow archive` run or scheduled run, "
             "with its counts; finished_at is empty for a run that was stopped.", "sort_desc": "started_at"},
    "failures": {"title": "Failures", "description": "Files an archive run could not analyse, with the coded error.",
                 "facets": ["code"]},
}


def metadata(db_path: str | Path) -> dict:
    """Metadata for the store at ``db_path`` (Datasette names a database after its file)."""
    tables = {name: dict(table) for name, table in TABLES.items()}
    tables.update({name: {"hidden": True} for name in HIDDEN})
    return {
        "title": "hearflow",
        "description": "Call recordings turned into speaker-attributed transcripts, metrics and analysis.",
        "databases": {Path(db_path).stem: {
            "title": "Calls",
            "description": "Start from call_overview (one row per call) or search the transcript segments.",
            "tables": tables,
        }},
    }
