"""Store faults are coded, found when the store is opened (before any audio work), and a failed
write says what was not stored. The read-only cases run the CLI without any capability, so the
permission checks apply to root as to anyone."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from hearflow.errors import StoreError
from hearflow.store.store import Store
from test_store import _result

# No capabilities at all after exec, not even for uid 0: CAP_DAC_OVERRIDE is what lets root write
# a file whose mode says no.
NO_CAPABILITIES = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"]


def _stored(path: Path) -> Path:
    store = Store(path)
    store.save(_result())
    store.close()
    return path


def _open_error(path) -> StoreError:
    with pytest.raises(StoreError) as caught:
        Store(path)
    return caught.value


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"SQLite format 2\x00" + os.urandom(4000))
    error = _open_error(path)
    assert error.code == "store_corrupt" and "not a readable hearflow database" in error.message


def test_a_truncated_database(tmp_path):
    path = _stored(tmp_path / "h.db")
    path.write_bytes(path.read_bytes()[:3000])
    assert _open_error(path).code == "store_corrupt"


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = _stored(tmp_path / "h.db")
    db = sqlite_utils.Database(path)
    db["_sqlite_migrations"].insert({"migration_set": "hearflow", "name": "m042_from_the_future",
                                     "applied_at": "2031-01-01T00:00:00"})
    db.close()
    error = _open_error(path)
    assert error.code == "store_newer_schema" and "m042_from_the_future" in error.message
    assert "upgrade hearflow" in error.hint
    # Another migration set (a plugin's) is none of the core's business.
    db = sqlite_utils.Database(path)
    db.execute("update _sqlite_migrations set migration_set = 'some-plugin' where name = 'm042_from_the_future'")
    db.conn.commit()
    db.close()
    Store(path).close()


@pytest.mark.parametrize("damage, problem", [
    ("alter table segments rename to segments_old", "table segments is missing"),
    ("drop index idx_words_call_id_segment_idx_idx", "table words lacks its unique index"),
    ("create table calls2 as select * from calls; drop table calls; alter table calls2 rename to calls",
     "table calls has primary key rowid instead of id"),
])
def test_damaged_tables_are_found_not_recreated(tmp_path, damage, problem):
    path = _stored(tmp_path / "h.db")
    with sqlite3.connect(path) as conn:
        # legacy_alter_table: a rename does not rewrite the views over the table (call_overview).
        conn.executescript(f"PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; {damage};")
    error = _open_error(path)
    assert error.code == "store_corrupt" and problem in error.message, error.message
    tables = sqlite_utils.Database(path).table_names()
    assert "segments" in tables or "segments_old" in tables  # nothing re-created behind the user's back


def test_a_write_that_fails_says_what_was_not_stored(tmp_path):
    path = _stored(tmp_path / "h.db")
    store = Store(path)
    store.db.execute("PRAGMA busy_timeout = 100")
    holder = sqlite3.connect(path, isolation_level=None)  # another process holding the write lock
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as caught:
            store.save(_result("fedcba9876543210"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.code == "store_busy"
    assert caught.value.message.startswith("call fedcba9876543210 was not stored: ")
    store.save(_result("fedcba9876543210"))  # the lock is gone: the same store writes again
    store.close()


# -- with no capabilities: real permission checks ---------------------------------------------------

def _hearflow_without_capabilities(*args, cwd=None) -> subprocess.CompletedProcess:
    command = [*NO_CAPABILITIES, str(Path(sys.executable).with_name("hearflow")), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def read_only_store(tmp_path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _stored(folder / "h.db")
    path.chmod(0o444)
    folder.chmod(0o555)
    # The permission checks really apply: without capabilities, even root cannot write here.
    probe = subprocess.run([*NO_CAPABILITIES, "sh", "-c", f"echo x >> {path}"], capture_output=True)
    assert probe.returncode != 0
    yield path
    folder.chmod(0o755)


def test_a_read_only_store_is_refused_before_any_audio_work(read_only_store, stereo_wav):
    done = _hearflow_without_capabilities("analyze", stereo_wav, "--db", read_only_store)
    assert done.returncode == 1
    assert "error[store_readonly]" in done.stderr and "cannot be written" in done.stderr, done.stderr
    assert "decode" not in done.stderr and "transcribe" not in done.stderr  # refused before the pipeline
    assert "Traceback" not in done.stderr
    archived = _hearflow_without_capabilities("archive", stereo_wav, "--db", read_only_store)
    assert archived.returncode == 1 and "error[store_readonly]" in archived.stderr, archived.stderr


def test_a_read_only_store_can_still_be_read(read_only_store):
    listed = _hearflow_without_capabilities("calls", "--db", read_only_store)
    assert listed.returncode == 0 and "abc123def4567890" in listed.stdout, listed.stderr
    shown = _hearflow_without_capabilities("show", "abc1", "--db", read_only_store)
    assert shown.returncode == 0 and "discount on the annual plan" in shown.stdout, shown.stderr
    found = _hearflow_without_capabilities("search", "discount", "--db", read_only_store)
    assert found.returncode == 0 and "abc123def4567890" in found.stdout, found.stderr
    removed = _hearflow_without_capabilities("calls", "delete", "abc1", "--db", read_only_store)
    assert removed.returncode == 1 and "error[store_readonly]" in removed.stderr, removed.stderr


def test_a_store_in_a_read_only_directory(read_only_store, stereo_wav):
    done = _hearflow_without_capabilities("calls", "--db", read_only_store.parent / "new.db")
    assert done.returncode == 1 and "error[store_readonly]" in done.stderr, done.stderr


def test_corrupt_store_through_the_command_line(tmp_path, cli, stereo_wav):
    path = tmp_path / "h.db"
    shutil.copy(stereo_wav, path)  # a WAV file given as the store
    done = cli("analyze", stereo_wav, "--db", path)
    assert done.returncode == 1 and "error[store_corrupt]" in done.stderr, done.stderr
    assert "transcribe" not in done.stderr


def test_a_write_refused_late_loses_nothing(tmp_path, cli, stereo_wav):
    """The store opens fine, then refuses the call itself (here a trigger of the store's owner):
    the transcript is still printed and written to the formats, and the message says so."""
    db = _stored(tmp_path / "h.db")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TRIGGER frozen BEFORE INSERT ON calls "
                     "BEGIN SELECT RAISE(ABORT, 'the archive is frozen for an audit'); END")
    out = tmp_path / "out"
    done = cli("analyze", stereo_wav, "-f", "txt", "-o", out, "--analyzer", "none", "--db", db)
    assert done.returncode == 1, done.stderr
    assert "error[store_unavailable]: call " in done.stderr and "was not stored" in done.stderr
    assert "frozen for an audit" in done.stderr and "· NOT stored" in done.stderr
    assert done.stdout.startswith("SPEAKER_1: ")  # printed
    assert "SPEAKER_1: Thank you for calling" in (out / f"{stereo_wav.stem}.txt").read_text()  # and written
    assert "Traceback" not in done.stderr
