"""What can be wrong with a store file, found when it is opened, as coded ``StoreError``\\ s.

SQLite reports every fault as a ``sqlite3.Error`` with a message; ``classify`` turns those into
the few cases a user can act on. ``check_schema`` runs after the migrations: the tables and keys
the code writes through must be there, because sqlite-utils would otherwise re-create a missing
table on the first insert, silently, without its primary key or unique index.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hearflow.errors import StoreError


# table → (primary key columns, unique indexes as column tuples) the store relies on
REQUIRED = {
    "calls": (("id",), ()),
    "segments": (("id",), (("call_id", "idx"),)),
    "words": (("id",), (("call_id", "segment_idx", "idx"),)),
    "analyses": (("id",), ()),
    "answers": (("id",), ()),
    "deliveries": (("id",), ()),
    "runs": (("id",), ()),
    "failures": (("id",), ()),
}
FTS_TABLE = "segments_fts"

_RESTORE = "restore it from a backup, or move it aside and let hearflow create a new one"


def classify(exc: sqlite3.Error | OSError, path: Path) -> StoreError:
    """A coded error for a fault SQLite (or the file system) reported on the store at ``path``."""
    text = str(exc).lower()
    if isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text or (
            "unable to open" in text and not _writable_place(path)):
        return StoreError(f"the store {path} cannot be written ({exc})", code="store_readonly",
                          hint="check the permissions of the file and its directory, or pass another --db")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(f"the store {path} is not a readable hearflow database ({exc})", code="store_corrupt",
                          hint=_RESTORE)
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {path} is locked by another process ({exc})", code="store_busy",
                          hint="wait for the other hearflow command to finish, then run this one again")
    if "disk is full" in text or "no space" in text:
        return StoreError(f"the disk holding the store {path} is full ({exc})", code="store_full",
                          hint="free some space, then run the command again")
    return StoreError(f"the store {path} cannot be used ({exc})", code="store_unavailable",
                      hint="re-run with --debug for details")


def _writable_place(path: Path) -> bool:
    import os

    target = path if path.exists() else path.parent
    return os.access(target, os.W_OK)


def check_newer_schema(db, migrations, path: Path, version: str) -> None:
    """Refuse a store that a newer hearflow migrated further than this one knows."""
    from hearflow.store.sqlite import sqlite_utils

    known = {migration.name for migration in migrations.pending(sqlite_utils.Database(memory=True))}  # all
    unknown = [applied.name for applied in migrations.applied(db) if applied.name not in known]
    if unknown:
        raise StoreError(
            f"the store {path} was upgraded by a newer hearflow (migrations {', '.join(unknown)} are unknown "
            f"to hearflow {version})", code="store_newer_schema",
            hint="upgrade hearflow (pip install -U hearflow), or pass another --db")


def check_schema(db, path: Path) -> None:
    """Every table the store writes through, with its primary key and unique indexes."""
    problems = []
    for table, (pk, uniques) in REQUIRED.items():
        if not db[table].exists():
            problems.append(f"table {table} is missing")
            continue
        if tuple(db[table].pks) != pk:
            problems.append(f"table {table} has primary key {', '.join(db[table].pks)} instead of "
                            f"{', '.join(pk)}")
        present = {tuple(index.columns) for index in db[table].indexes if index.unique}
        problems += [f"table {table} lacks its unique index on ({', '.join(columns)})"
                     for columns in uniques if columns not in present]
    if not db[FTS_TABLE].exists():
        problems.append(f"the full-text index {FTS_TABLE} is missing")
    if problems:
        raise StoreError(f"the store {path} is damaged: {'; '.join(problems)}", code="store_corrupt",
                         hint=_RESTORE)
