"""Stored calls as flat rows (one per call) for spreadsheets and BI tools, written as CSV or JSONL.

Rows come from the column tables (``call_metrics``, ``call_speakers``, ``call_trackers``), so an
export and a SQL query over the store always agree. Speakers become numbered column groups
(``speaker_1``, ``speaker_1_talk_time``, ``speaker_1_talk_ratio``, …) as many as the busiest call
has; trackers become ``tracker_<name>`` hit counts.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

from hearflow.errors import ConfigError
from hearflow.models import speaker_sort_key
from hearflow.store.metrics_tables import ANALYSIS_COLUMNS, LIST_COLUMNS

EXPORT_FORMATS = ("csv", "jsonl")
CALL_COLUMNS = ("id", "source", "stored_at", "audio_seconds", "mode", "diarized", "language", "speakers")
METRIC_COLUMNS = ("agent", "agent_rule", "switches", "interactivity", "patience", "silence_share", "overlaps")
ANALYZER_COLUMNS = ("analyzer", "analysis_model", "heuristic")


def since_bound(text: str | None) -> str | None:
    """A --since date or time as the store writes ``stored_at`` (UTC, ``…Z``), for comparing as text."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date", code="invalid_date",
                          hint="give a date or a time: 2026-12-01 or 2026-12-01T09:30:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(db, since: str | None = None) -> tuple[list[str], list[dict]]:
    """The header and one row per call stored at or after ``since`` (oldest first)."""
    bound = since_bound(since)
    where, params = ("where calls.stored_at >= ?", [bound]) if bound else ("", [])
    calls = list(db.query(
        f"select {', '.join('calls.' + c for c in CALL_COLUMNS)}, "
        f"{', '.join('call_metrics.' + c for c in METRIC_COLUMNS + ANALYZER_COLUMNS + ANALYSIS_COLUMNS)}, "
        f"call_metrics.analysis_error from calls left join call_metrics on call_metrics.call_id = calls.id "
        f"{where} order by calls.stored_at, calls.id", params))
    chosen = f"where call_id in (select id from calls {where})"
    speakers = _grouped(db.query(f"select call_id, speaker, talk_time, talk_ratio from call_speakers {chosen}",
                                 params))
    trackers = _grouped(db.query(f"select call_id, tracker, hits from call_trackers {chosen}", params))
    most = max((len(rows) for rows in speakers.values()), default=0)
    tracker_names = sorted({row["tracker"] for rows in trackers.values() for row in rows})
    header = [*CALL_COLUMNS, *METRIC_COLUMNS,
              *[f"speaker_{n}{part}" for n in range(1, most + 1) for part in ("", "_talk_time", "_talk_ratio")],
              *[f"tracker_{name}" for name in tracker_names], *ANALYZER_COLUMNS, *ANALYSIS_COLUMNS, "analysis_error"]
    rows = []
    for call in calls:
        row = dict.fromkeys(header)
        row.update({key: value for key, value in call.items() if key in row})
        for column in LIST_COLUMNS:
            row[column] = json.loads(row[column]) if row[column] is not None else None
        for n, speaker in enumerate(speakers.get(call["id"], []), start=1):
            row.update({f"speaker_{n}": speaker["speaker"], f"speaker_{n}_talk_time": speaker["talk_time"],
                        f"speaker_{n}_talk_ratio": speaker["talk_ratio"]})
        for tracker in trackers.get(call["id"], []):
            row[f"tracker_{tracker['tracker']}"] = tracker["hits"]
        rows.append(row)
    return header, rows


def _grouped(rows) -> dict[str, list[dict]]:
    """Rows by call; speakers in their natural order (SPEAKER_2 before SPEAKER_10)."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row["call_id"], []).append(row)
    for group in grouped.values():
        if "speaker" in group[0]:
            group.sort(key=lambda r: speaker_sort_key(r["speaker"]))
    return grouped


def render(header: list[str], rows: list[dict], format_: str) -> str:
    """CSV (lists joined with "; ", empty for none) or JSONL (typed values, lists as arrays)."""
    if format_ == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "; ".join(value) if isinstance(value, list) else value for key, value in row.items()})
    return out.getvalue()
