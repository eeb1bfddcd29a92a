"""The SQLite store: real file, migrations, idempotent saves, full-text search."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Migrations

from hearflow.errors import ConfigError, NotFoundError
from hearflow.models import CallResult, Segment, Word
from hearflow.store.store import Store


def _result(call_id="abc123def4567890", text="we can offer a discount on the annual plan"):
    words = tuple(Word(start=i * 0.4, end=i * 0.4 + 0.3, text=w, speaker="SPEAKER_1", channel=0)
                  for i, w in enumerate(text.split()))
    segment = Segment(start=0.0, end=words[-1].end, text=text, speaker="SPEAKER_1", channel=0, words=words)
    return CallResult(id=call_id, source="call.wav", sha256="f" * 64, format="wav", mode="channel",
                      diarized=True, language="en", model="tiny.en", audio_seconds=5.0, channels=2,
                      sample_rate=8000, segments=(segment,), speaker_timing={"SPEAKER_1": 3.5})


def test_save_get_search_and_no_duplicates(tmp_path):
    store = Store(tmp_path / "h.db")
    store.save(_result())
    store.save(_result())  # the same call again replaces, never duplicates
    assert store.db["calls"].count == 1
    assert store.db["segments"].count == 1
    assert store.db["words"].count == 9
    assert store.get("abc1").transcript == "SPEAKER_1: we can offer a discount on the annual plan"
    hits = store.search("discount")
    assert [h["call_id"] for h in hits] == ["abc123def4567890"]
    assert store.search("discounts")  # porter stemming
    with pytest.raises(ConfigError) as caught:
        store.search('"unbalanced')
    assert caught.value.code == "invalid_query"
    store.close()
    # A plain sqlite3 connection sees WAL mode and the tables: the file is usable by other tools.
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("select count(*) from segments_fts").fetchone()[0] == 1


def test_unknown_and_ambiguous_ids(tmp_path):
    store = Store(tmp_path / "h.db")
    store.save(_result("aaaa000000000001"))
    store.save(_result("aaaa000000000002"))
    with pytest.raises(NotFoundError, match="more than one"):
        store.get("aaaa")
    with pytest.raises(NotFoundError, match="not in the store"):
        store.get("zzzz")
    store.close()


def test_migrations_run_once_and_plugin_sets_apply(tmp_path):
    import pluggy

    from hearflow.plugins.hookspecs import hookimpl
    from hearflow.plugins.manager import get_plugin_manager

    extra = Migrations("hearflow-test-plugin")

    @extra()
    def create_notes(db):
        db["plugin_notes"].create({"id": int, "note": str}, pk="id")

    class Plugin:
        @hookimpl
        def register_migrations(self, register):
            register(extra)

    pm = get_plugin_manager()
    pm.register(Plugin())
    for _ in range(2):  # opening twice must not re-run anything
        store = Store(tmp_path / "h.db", plugin_manager=pm)
        store.close()
    db = Store(tmp_path / "h.db").db
    assert "plugin_notes" in db.table_names()
    applied = [row["name"] for row in db["_sqlite_migrations"].rows]
    assert applied.count("create_notes") == 1 and applied.count("m001_calls_segments_words") == 1
    assert isinstance(pm, pluggy.PluginManager)


def test_opening_a_store_imports_no_pandas(tmp_path):
    """sqlite-utils would import pandas (installed with the extras) for a feature the store never uses."""
    import subprocess
    import sys

    probe = (f"import sys; from hearflow.store.store import Store; Store({str(tmp_path / 'h.db')!r}).close(); "
             "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
