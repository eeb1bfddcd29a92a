"""Removing calls from everywhere hearflow keeps them: every row that names them, the full-text
index, archive run summaries, files under hearflow's home, and the freed pages of the file.

SQLite leaves deleted rows in free pages and old WAL frames, and FTS5 keeps deleted terms in
its index segments until they are merged, so a delete is followed by an FTS merge, VACUUM and a
WAL checkpoint: afterwards the bytes of the file hold nothing of the call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hearflow.errors import ConfigError
from hearflow.store.health import FTS_TABLE

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


@dataclass
class Erased:
    calls: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table → rows removed
    files: list[Path] = field(default_factory=list)


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h`` or ``2w`` as a duration."""
    match = _DURATION.match(text or "")
    if not match:
        raise ConfigError(f"age {text!r} is not a number of hours, days or weeks", code="invalid_options",
                          hint="write it as 12h, 90d or 2w")
    return timedelta(hours=float(match[1]) * _UNIT_HOURS[match[2]])


def older_than(store, age: timedelta, now: datetime | None = None) -> list[str]:
    """Ids of calls stored before ``now - age``."""
    cutoff = (now or datetime.now(timezone.utc)) - age
    # stored_at is utc_now()'s ISO 8601 "…Z" text: same shape, so text order is time order.
    stamp = cutoff.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return [row["id"] for row in store.db.query(
        "select id from calls where stored_at < ? order by stored_at", [stamp])]


def erase(store, call_ids: list[str], home: Path) -> Erased:
    """Delete ``call_ids`` (full ids) everywhere, then compact the file so nothing of them remains."""
    done = Erased(calls=list(call_ids))
    if not call_ids:
        return done
    marks = ", ".join("?" for _ in call_ids)
    hashes = [row["sha256"] for row in store.db.query(f"select sha256 from calls where id in ({marks})", call_ids)]
    with store._writing(f"the deletion of {len(call_ids)} call(s)"):
        # Any table with a call_id column, so a plugin's tables that follow the convention go too;
        # children before calls, whose rows they reference.
        for table in _tables_with(store.db, "call_id"):
            done.rows[table] = store.db.execute(f"delete from [{table}] where call_id in ({marks})",
                                                call_ids).rowcount
        if hashes:
            hash_marks = ", ".join("?" for _ in hashes)
            done.rows["failures"] = store.db.execute(
                f"delete from failures where sha256 in ({hash_marks})", hashes).rowcount
        done.rows["calls"] = store.db.execute(f"delete from calls where id in ({marks})", call_ids).rowcount
        done.rows["runs"] = _scrub_runs(store.db, set(call_ids))
    done.files = _erase_files(home, call_ids, hashes, store.path)
    compact(store)
    return done


def _tables_with(db, column: str) -> list[str]:
    return [table.name for table in db.tables
            if table.name != "calls" and not table.name.startswith(FTS_TABLE) and column in table.columns_dict]


def _scrub_runs(db, ids: set[str]) -> int:
    """Archive run summaries list each call (id, source, summary): drop the erased ones."""
    changed = 0
    for row in list(db.query("select id, summary from runs")):
        summary = json.loads(row["summary"] or "{}")
        kept = [call for call in summary.get("calls", []) if call.get("id") not in ids]
        if len(kept) != len(summary.get("calls", [])):
            summary["calls"] = kept
            db.execute("update runs set summary = ? where id = ?", [json.dumps(summary), row["id"]])
            changed += 1
    return changed


def _erase_files(home: Path, call_ids: list[str], hashes: list[str], db_path: Path) -> list[Path]:
    """Files hearflow keeps per call under its home are named after the call id or audio hash."""
    if not home.is_dir():
        return []
    keys = [*call_ids, *(h[:32] for h in hashes if h)]
    removed = []
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith(db_path.name) and any(
                key in path.name for key in keys):
            path.unlink()
            removed.append(path)
    return removed


def compact(store) -> None:
    """Merge the FTS index (dropping deleted terms), rewrite the file without free pages, and
    empty the write-ahead log."""
    db = store.db
    if db[FTS_TABLE].exists():
        db.execute(f"insert into [{FTS_TABLE}]([{FTS_TABLE}]) values ('optimize')")
        db.conn.commit()
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
