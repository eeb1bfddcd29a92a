"""A call's metrics and analysis as rows with real columns, for SQL, Datasette and exports.

``calls.metrics`` keeps every metric stage's report as JSON; these tables spread the built-in
reports (the ``conversation`` and ``trackers`` metric stages) and the nine analysis dimensions
over columns. A plugin's own metrics stay in the JSON, or in tables its migrations add.
"""

from __future__ import annotations

import json

from hearflow.models import CallResult, ConversationMetrics, TrackerReport

CONVERSATION, TRACKERS = "conversation", "trackers"  # the built-in metric stages' names

# The nine analysis dimensions, with the summary; list-valued ones hold JSON arrays.
ANALYSIS_COLUMNS = ("sentiment", "intent", "resolution", "agent_performance", "escalation_risk", "key_topics",
                    "action_items", "compliance", "compliance_notes", "satisfaction_score", "summary")
LIST_COLUMNS = frozenset({"key_topics", "action_items", "compliance_notes"})
CONVERSATION_COLUMNS = ("agent", "agent_rule", "switches", "interactivity", "patience", "silence_share",
                        "overlaps")
SPEAKER_COLUMNS = ("talk_time", "talk_ratio", "words", "words_per_minute", "longest_monologue", "questions")

CALL_METRICS_SCHEMA = {
    "call_id": str, "agent": str, "agent_rule": str, "switches": int, "interactivity": float, "patience": float,
    "silence_share": float, "overlaps": int, "analyzer": str, "analysis_model": str, "heuristic": int,
    **dict.fromkeys(ANALYSIS_COLUMNS, str), "satisfaction_score": int, "analysis_error": str,
}
CALL_SPEAKERS_SCHEMA = {"call_id": str, "speaker": str, "is_agent": int, "channel": int, "talk_time": float,
                        "talk_ratio": float, "words": int, "words_per_minute": float, "longest_monologue": float,
                        "questions": int}
CALL_TRACKERS_SCHEMA = {"call_id": str, "tracker": str, "hits": int}


def call_metrics_row(result: CallResult) -> dict:
    conversation = result.report(CONVERSATION, ConversationMetrics)
    row = {"call_id": result.id, **dict.fromkeys(CONVERSATION_COLUMNS)}
    if conversation is not None:
        row.update(conversation.model_dump(include=set(CONVERSATION_COLUMNS)))
    record = result.analysis
    row.update({"analyzer": record.analyzer if record else None, "analysis_model": record.model if record else None,
                "heuristic": int(record.heuristic) if record else None,
                "analysis_error": f"{record.error.code}: {record.error.message}" if record and record.error else None})
    analysis = record.analysis.model_dump() if record and record.analysis else {}
    for column in ANALYSIS_COLUMNS:
        value = analysis.get(column)
        row[column] = json.dumps(value) if column in LIST_COLUMNS and value is not None else value
    return row


def call_speaker_rows(result: CallResult) -> list[dict]:
    """One row per speaker: the conversation metric's figures, or talk time alone without it."""
    conversation = result.report(CONVERSATION, ConversationMetrics)
    channels = {s.speaker: s.channel for s in result.segments if s.channel is not None}
    total = sum(result.speaker_timing.values()) or 1.0
    rows = []
    for speaker in result.speakers:
        stats = conversation.speakers.get(speaker) if conversation else None
        figures = (stats.model_dump() if stats else
                   {**dict.fromkeys(SPEAKER_COLUMNS), "talk_time": result.speaker_timing[speaker],
                    "talk_ratio": round(result.speaker_timing[speaker] / total, 4)})
        rows.append({"call_id": result.id, "speaker": speaker,
                     "is_agent": None if conversation is None else int(speaker == conversation.agent),
                     "channel": channels.get(speaker), **figures})
    return rows


def call_tracker_rows(result: CallResult) -> list[dict]:
    trackers = result.report(TRACKERS, TrackerReport)
    if trackers is None:
        return []
    return [{"call_id": result.id, "tracker": name, "hits": hits} for name, hits in sorted(trackers.counts.items())]


def write_metric_rows(db, result: CallResult) -> None:
    """Replace the call's rows in the three tables (inside the caller's transaction)."""
    for table in ("call_speakers", "call_trackers"):
        db[table].delete_where("call_id = ?", [result.id])
    db["call_metrics"].upsert(call_metrics_row(result), pk="call_id")
    db["call_speakers"].insert_all(call_speaker_rows(result))
    db["call_trackers"].insert_all(call_tracker_rows(result))

