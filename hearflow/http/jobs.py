"""Transcription jobs in the store: submit (idempotent), claim, finish, cancel, delete, recover.

Workers claim a queued job and mark it done inside write transactions, and a job is finished
only by the server instance that holds it, so after a crash and a restart each job completes
exactly once: jobs of a dead instance go back to the queue, and the call they computed (if the
crash came after storing it) is found in the store instead of being made twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass

from hearflow.http.database import Database
from hearflow.http.errors import ApiError
from hearflow.http.ledger import charge
from hearflow.models import utc_now

QUEUED, PROCESSING, COMPLETED, FAILED, CANCELLED = "queued", "processing", "completed", "failed", "cancelled"
FINISHED = (COMPLETED, FAILED, CANCELLED)


def new_job_id() -> str:
    return "job_" + secrets.token_hex(12)


def body_hash(fields: dict, audio_sha256: str | None) -> str:
    """What "the same body" means for Idempotency-Key: the fields and the audio bytes."""
    canonical = json.dumps({"fields": fields, "audio": audio_sha256}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Submitted:
    job: dict
    created: bool  # False: an earlier submit with the same Idempotency-Key and body


def submit(db: Database, key_id: str, fields: dict, *, job_id: str | None = None, audio_url: str | None = None,
           spool_path: str | None = None, audio_sha256: str | None = None,
           idempotency_key: str | None = None, reserved_ms: int | None = None, admit=None) -> Submitted:
    """Queue a job. ``admit(conn)`` runs in the same write transaction before the insert (the
    key's allowance, counting its queued jobs' ``reserved_ms``), so concurrent submits cannot
    all pass one check and queue past a cap together."""
    digest = body_hash(fields, audio_sha256)
    with db.write() as conn:
        if idempotency_key is not None:
            earlier = conn.execute("SELECT * FROM api_jobs WHERE key_id = ? AND idempotency_key = ?",
                                   [key_id, idempotency_key]).fetchone()
            if earlier is not None:
                if earlier["body_hash"] != digest:
                    raise ApiError("this Idempotency-Key was used with a different body",
                                   code="idempotency_conflict", hint="use a fresh key for each distinct job")
                return Submitted(earlier, created=False)
        if admit is not None:
            admit(conn)
        row = {"id": job_id or new_job_id(), "key_id": key_id, "status": QUEUED, "created_at": utc_now(),
               "request": json.dumps(fields), "audio_url": audio_url, "spool_path": spool_path,
               "audio_sha256": audio_sha256, "idempotency_key": idempotency_key, "body_hash": digest,
               "webhook_url": fields.get("webhook_url"), "webhook_state": None, "reserved_ms": reserved_ms}
        conn.execute(f"INSERT INTO api_jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))
        return Submitted(conn.execute("SELECT * FROM api_jobs WHERE id = ?", [row["id"]]).fetchone(), True)


def get(db: Database, key_id: str, job_id: str) -> dict:
    job = db.one("SELECT * FROM api_jobs WHERE id = ? AND key_id = ?", [job_id, key_id])
    if job is None:  # another key's job is as invisible as a missing one
        raise ApiError(f"no job {job_id}", code="not_found")
    return job


def page(db: Database, key_id: str, *, limit: int, cursor: int | None) -> tuple[list[dict], int | None]:
    """Newest first. The cursor is the last seq seen, so new jobs never shift a page."""
    rows = db.query("SELECT * FROM api_jobs WHERE key_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                    [key_id, cursor if cursor is not None else 1 << 62, limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1]["seq"] if more else None


def cancel(db: Database, key_id: str, job_id: str) -> tuple[dict, bool]:
    """The job, and whether this call cancelled it (it was queued)."""
    with db.write() as conn:
        cursor = conn.execute("UPDATE api_jobs SET status = ?, completed_at = ?, spool_path = NULL "
                              "WHERE id = ? AND key_id = ? AND status = ?",
                              [CANCELLED, utc_now(), job_id, key_id, QUEUED])
    return get(db, key_id, job_id), cursor.rowcount == 1


def delete_finished(db: Database, key_id: str, job_id: str) -> dict:
    """Remove a finished job's row; returns it so the caller can delete its files and call."""
    with db.write() as conn:
        job = conn.execute("SELECT * FROM api_jobs WHERE id = ? AND key_id = ?", [job_id, key_id]).fetchone()
        if job is None:
            raise ApiError(f"no job {job_id}", code="not_found")
        if job["status"] not in FINISHED:
            raise ApiError(f"job {job_id} is {job['status']}", code="job_not_cancellable",
                           hint="delete it once it has completed or failed")
        conn.execute("DELETE FROM api_jobs WHERE id = ?", [job_id])
        conn.execute("DELETE FROM api_job_deliveries WHERE job_id = ?", [job_id])
        if job["call_id"]:
            still_used = conn.execute("SELECT 1 FROM api_jobs WHERE key_id = ? AND call_id = ? LIMIT 1",
                                      [key_id, job["call_id"]]).fetchone()
            if still_used is None:
                conn.execute("DELETE FROM api_key_calls WHERE key_id = ? AND call_id = ?", [key_id, job["call_id"]])
    return job


def call_is_unowned(db: Database, call_id: str) -> bool:
    return db.one("SELECT 1 FROM api_key_calls WHERE call_id = ? LIMIT 1", [call_id]) is None


# -- workers ------------------------------------------------------------------------------------

class Instance:
    """This server process, as the holder of the jobs it claims. A heartbeat says it is alive."""

    def __init__(self, db: Database):
        self.db = db
        self.id = "srv_" + secrets.token_hex(6)
        with db.write() as conn:
            conn.execute("INSERT INTO api_instances (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
                         [self.id, socket.gethostname(), os.getpid(), utc_now(), time.time()])

    def beat(self) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE api_instances SET heartbeat_at = ? WHERE id = ?", [time.time(), self.id])

    def retire(self) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE api_jobs SET status = ?, instance_id = NULL WHERE instance_id = ? AND status = ?",
                         [QUEUED, self.id, PROCESSING])
            conn.execute("DELETE FROM api_instances WHERE id = ?", [self.id])

    def recover(self, lease_seconds: float) -> int:
        """Requeue the jobs of instances that are gone: a process of this host that no longer
        runs, or any instance silent for longer than the lease. Returns how many."""
        host, now = socket.gethostname(), time.time()
        with self.db.write() as conn:
            dead = [row["id"] for row in conn.execute("SELECT * FROM api_instances WHERE id != ?", [self.id])
                    if (row["host"] == host and not _running(row["pid"])) or now - row["heartbeat_at"] > lease_seconds]
            for instance_id in dead:
                conn.execute("DELETE FROM api_instances WHERE id = ?", [instance_id])
            cursor = conn.execute(
                "UPDATE api_jobs SET status = ?, instance_id = NULL WHERE status = ? AND "
                "(instance_id IS NULL OR instance_id NOT IN (SELECT id FROM api_instances))", [QUEUED, PROCESSING])
            return cursor.rowcount

    def claim(self) -> dict | None:
        with self.db.write() as conn:
            # Not an upload whose bytes another worker is processing now: once that one is stored,
            # this one reuses it instead of computing the same call twice at the same time.
            job = conn.execute(
                "SELECT * FROM api_jobs WHERE status = ? AND (audio_sha256 IS NULL OR audio_sha256 NOT IN "
                "(SELECT audio_sha256 FROM api_jobs WHERE status = ? AND audio_sha256 IS NOT NULL)) "
                "ORDER BY seq LIMIT 1", [QUEUED, PROCESSING]).fetchone()
            if job is None:
                return None
            conn.execute("UPDATE api_jobs SET status = ?, instance_id = ?, started_at = ?, attempts = attempts + 1 "
                         "WHERE id = ?", [PROCESSING, self.id, utc_now(), job["id"]])
        return {**job, "status": PROCESSING, "instance_id": self.id}

    def complete(self, job: dict, *, call_id: str, units: int, outputs: dict[str, str]) -> bool:
        """Finish the job, bill it and give its key the call, all at once; False if this
        instance no longer holds the job (it was requeued elsewhere meanwhile)."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE api_jobs SET status = ?, completed_at = ?, call_id = ?, units_ms = ?, outputs = ?, "
                "spool_path = NULL, webhook_state = ? WHERE id = ? AND status = ? AND instance_id = ?",
                [COMPLETED, utc_now(), call_id, units, json.dumps(outputs),
                 "pending" if job["webhook_url"] else None, job["id"], PROCESSING, self.id])
            if cursor.rowcount != 1:
                return False
            charge(conn, job["key_id"], units, "job", job["id"])
            conn.execute("INSERT OR IGNORE INTO api_key_calls (key_id, call_id, at) VALUES (?, ?, ?)",
                         [job["key_id"], call_id, utc_now()])
        return True

    def fail(self, job: dict, *, code: str, message: str) -> bool:
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE api_jobs SET status = ?, completed_at = ?, error_code = ?, error_message = ?, "
                "spool_path = NULL, webhook_state = ? WHERE id = ? AND status = ? AND instance_id = ?",
                [FAILED, utc_now(), code, message, "pending" if job["webhook_url"] else None, job["id"],
                 PROCESSING, self.id])
            return cursor.rowcount == 1


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
