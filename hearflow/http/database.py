"""Connections to the store for the API: one per thread, explicit write transactions.

Request handlers run in a thread pool and workers in their own threads; each thread keeps its
own sqlite3 connection. ``write()`` takes SQLite's write lock up front (BEGIN IMMEDIATE), so a
read-then-insert such as an idempotency check cannot interleave with another thread's.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_MS = 30_000


class Database:
    def __init__(self, path: Path):
        from hearflow.store.store import Store

        self.path = Path(path)
        Store(self.path).close()  # creates the file, WAL mode, and every migration
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_MS / 1000,
                                   check_same_thread=False)
            conn.row_factory = _dict_row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            # WAL with NORMAL sync: a commit survives the process being killed (only power loss
            # can drop the last ones), and a submit does not wait for an fsync.
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    def query(self, sql: str, params=()) -> list[dict]:
        return self.connection().execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> dict | None:
        return self.connection().execute(sql, params).fetchone()

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.connection().execute(sql, params)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict:
    return {column[0]: value for column, value in zip(cursor.description, row)}
