"""The usage ledger: audio seconds billed per key, in integer milliseconds so every sum is exact.

``X-Hearflow-Units`` is the same number of milliseconds printed with three decimals, so adding
up the headers a client received gives exactly what ``hearflow usage`` prints.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from hearflow.http.database import Database
from hearflow.http.errors import ApiError
from hearflow.http.keys import ApiKey
from hearflow.http.settings import DEFAULT_TEST_DAILY_SECONDS
from hearflow.models import utc_now


def units_ms(audio_seconds: float) -> int:
    return int(round(audio_seconds * 1000))


def units_header(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def daily_cap(key: ApiKey) -> float | None:
    if key.daily_seconds is not None:
        return key.daily_seconds
    return DEFAULT_TEST_DAILY_SECONDS if key.test else None


def admit(db, key: ApiKey) -> None:
    """Refuse new work once a key's allowance is used up: what it was billed plus what its queued
    and processing jobs reserve, so a key cannot queue past its cap or credit. ``db`` is the
    Database, or the connection of a write transaction that inserts the job (then concurrent
    submits are counted one after another). Work admitted with any allowance left is billed in
    full, so the last one may go a little past the cap."""
    cap = daily_cap(key)
    if cap is not None:
        used = _sum(db, "SELECT coalesce(sum(units_ms), 0) AS ms FROM api_usage WHERE key_id = ? AND day = ?",
                    [key.id, today()]) + _reserved(db, key.id)
        if used >= units_ms(cap):
            raise ApiError(f"key {key.id} has used or queued its {cap:g} audio seconds for {today()} (UTC)",
                           code="daily_cap_reached", hint="the cap resets at midnight UTC; queued jobs count")
    if key.credit_seconds is not None:
        used = _sum(db, "SELECT coalesce(sum(units_ms), 0) AS ms FROM api_usage WHERE key_id = ?",
                    [key.id]) + _reserved(db, key.id)
        if used >= units_ms(key.credit_seconds):
            raise ApiError(f"key {key.id} has used or queued all {key.credit_seconds:g} s of its prepaid credit",
                           code="credit_exhausted",
                           hint="add credit, wait for queued jobs to finish, or build against a hf_test_ key")


def _reserved(db, key_id: str) -> int:
    """Audio of the key's jobs not billed yet: a job is billed in the transaction that ends it."""
    return _sum(db, "SELECT coalesce(sum(reserved_ms), 0) AS ms FROM api_jobs WHERE key_id = ? AND status IN "
                    "('queued', 'processing')", [key_id])


def charge(conn: sqlite3.Connection, key_id: str, ms: int, kind: str, ref: str) -> None:
    """Record one bill inside the caller's transaction; (kind, ref) is unique, so a job retried
    after a crash is never billed twice."""
    conn.execute("INSERT OR IGNORE INTO api_usage (key_id, at, day, units_ms, kind, ref) VALUES (?, ?, ?, ?, ?, ?)",
                 [key_id, utc_now(), today(), ms, kind, ref])


def summary(db: Database, *, key_id: str | None = None, since: str | None = None) -> list[dict]:
    """Per key and kind: how many bills and their total milliseconds."""
    where, params = [], []
    if key_id:
        where.append("key_id = ?")
        params.append(key_id)
    if since:
        where.append("day >= ?")
        params.append(since)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return db.query(f"SELECT key_id, kind, count(*) AS requests, sum(units_ms) AS units_ms FROM api_usage "
                    f"{clause} GROUP BY key_id, kind ORDER BY key_id, kind", params)


def _sum(db, sql: str, params) -> int:
    return int(db.execute(sql, params).fetchone()["ms"])
