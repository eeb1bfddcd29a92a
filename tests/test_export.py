"""Exports as other tools read them: `-f all`, CSV read back by the csv module and by sqlite-utils,
JSONL, the metric column tables, the foreign keys, and Datasette serving the store with the
shipped metadata (`datasette --get`)."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from conftest import run_cli
from hearflow.store.datasette import HIDDEN
from hearflow.store.migrations import migrations

NINE = ("sentiment", "intent", "resolution", "agent_performance", "escalation_risk", "key_topics", "action_items",
        "compliance", "satisfaction_score")


def _tool(name: str, *args) -> subprocess.CompletedProcess:
    """A console script of this venv (sqlite-utils, datasette)."""
    return subprocess.run([str(Path(sys.executable).with_name(name)), *map(str, args)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def store(tmp_path_factory, stereo_wav, mono_wav):
    """A stereo and a mono call analysed in one run with every format written."""
    root = tmp_path_factory.mktemp("export")
    db, out = root / "hearflow.db", root / "out"
    done = run_cli("analyze", stereo_wav, mono_wav, "--db", db, "-f", "all", "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    return db, out


def test_format_all_writes_every_installed_format(store, cli):
    _, out = store
    listed = json.loads(cli("plugins", "--json").stdout)
    usable = {row["name"] for row in listed if row["kind"] == "formatter" and row["usable"]}
    from hearflow.plugins.manager import build_registry

    extensions = {build_registry().get("formatter", name).extension for name in usable}
    for stem in ("support-stereo", "support-mono"):
        assert {p.suffix[1:] for p in out.glob(f"{stem}.*")} == extensions


def test_show_format_all_writes_the_same_files(store, cli, tmp_path):
    db, out = store
    (call_id,) = sqlite3.connect(db).execute("select id from calls where mode = 'channel'").fetchone()
    done = cli("show", call_id[:6], "--db", db, "-f", "all", "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in out.glob("support-stereo.*"))
    assert (tmp_path / "support-stereo.srt").read_text() == (out / "support-stereo.srt").read_text()


def test_metric_tables_hold_the_stored_reports(store):
    db, _ = store
    database = sqlite_utils.Database(db)
    for call in database.query("select id, metrics, result_json from calls"):
        conversation = json.loads(call["metrics"])["conversation"]
        (row,) = database["call_metrics"].rows_where("call_id = ?", [call["id"]])
        assert {k: row[k] for k in ("agent", "switches", "interactivity", "silence_share")} == {
            k: conversation[k] for k in ("agent", "switches", "interactivity", "silence_share")}
        analysis = json.loads(call["result_json"])["analysis"]["analysis"]
        assert row["sentiment"] == analysis["sentiment"] and json.loads(row["key_topics"]) == analysis["key_topics"]
        speakers = {r["speaker"]: r for r in database["call_speakers"].rows_where("call_id = ?", [call["id"]])}
        assert {s: r["talk_time"] for s, r in speakers.items()} == {
            s: v["talk_time"] for s, v in conversation["speakers"].items()}
        assert [s for s, r in speakers.items() if r["is_agent"]] == [conversation["agent"]]
    types = {c.name: c.type for c in database["call_metrics"].columns}
    assert (types["interactivity"], types["satisfaction_score"], types["sentiment"]) == ("REAL", "INTEGER", "TEXT")


def test_csv_reads_back_in_the_csv_module_and_sqlite_utils(store, cli, tmp_path):
    db, _ = store
    path = tmp_path / "calls.csv"
    done = cli("export", "--db", db, "-o", path)
    assert done.returncode == 0 and "wrote 2 call(s)" in done.stderr, done.stderr
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stored = sqlite_utils.Database(db)
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in stored.query("select id from calls"))
    assert {row["mode"] for row in rows} == {"channel", "mono"}
    for row in rows:
        assert all(row[column] for column in NINE), row
        talk = {row["speaker_1"]: float(row["speaker_1_talk_time"]), row["speaker_2"]: float(row["speaker_2_talk_time"])}
        assert talk == {r["speaker"]: r["talk_time"] for r in stored["call_speakers"].rows_where("call_id = ?", [row["id"]])}
        assert abs(float(row["speaker_1_talk_ratio"]) + float(row["speaker_2_talk_ratio"]) - 1) < 0.001
        assert 1 <= int(row["satisfaction_score"]) <= 5 and float(row["audio_seconds"]) > 30
    imported = tmp_path / "imported.db"
    done = _tool("sqlite-utils", "insert", imported, "calls", path, "--csv", "--pk", "id")  # types detected
    assert done.returncode == 0, done.stderr
    loaded = sqlite_utils.Database(imported)
    types = {c.name: c.type for c in loaded["calls"].columns}
    assert (types["audio_seconds"], types["speakers"], types["speaker_1_talk_ratio"]) == ("REAL", "INTEGER", "REAL")
    assert sorted(loaded.execute("select id, speakers from calls").fetchall()) == sorted(
        stored.execute("select id, speakers from calls").fetchall())


def test_jsonl_is_typed_and_since_filters(store, cli):
    db, _ = store
    lines = cli("export", "--db", db, "--format", "jsonl").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 2
    for row in rows:
        assert isinstance(row["key_topics"], list) and isinstance(row["action_items"], list)
        assert isinstance(row["audio_seconds"], float) and isinstance(row["speakers"], int)
    newest = max(row["stored_at"] for row in rows)
    later = [json.loads(line) for line in cli("export", "--db", db, "--format", "jsonl", "--since", newest).stdout.splitlines()]
    assert [r["stored_at"] for r in later] == [newest]
    assert cli("export", "--db", db, "--since", "2999-01-01").stdout.count("\n") == 1  # the header alone
    bad = cli("export", "--db", db, "--since", "last tuesday")
    assert bad.returncode == 1 and "error[invalid_date]" in bad.stderr


def test_foreign_keys_are_added_keeping_the_rows(store, tmp_path):
    """A store made before the metric tables and foreign keys: upgrading keeps every row."""
    db, _ = store
    old = sqlite_utils.Database(tmp_path / "old.db")
    migrations.apply(old, stop_before="m004_metric_columns")
    source = sqlite_utils.Database(db)
    old["calls"].insert_all(source["calls"].rows)
    (call_id,) = next(source.execute("select id from calls limit 1"))
    old["deliveries"].insert({"call_id": call_id, "sink": "webhook", "target": "https://example.org/hook",
                              "attempt": 1, "at": "2026-12-01T10:00:00Z", "status": 200, "delivered": 1})
    old["failures"].insert({"run_id": "run-stopped", "source": "broken.wav", "code": "invalid_audio",
                            "message": "not audio", "at": "2026-12-01T10:00:00Z"})
    old.close()
    from hearflow.store.store import Store

    upgraded = Store(tmp_path / "old.db")
    try:
        keys = {t: [(fk.column, fk.other_table, fk.other_column) for fk in upgraded.db[t].foreign_keys]
                for t in ("deliveries", "failures")}
        assert keys == {"deliveries": [("call_id", "calls", "id")], "failures": [("run_id", "runs", "id")]}
        assert [r["target"] for r in upgraded.db["deliveries"].rows] == ["https://example.org/hook"]
        assert [r["source"] for r in upgraded.db["failures"].rows] == ["broken.wav"]
        assert [r["id"] for r in upgraded.db["runs"].rows] == ["run-stopped"]
        assert [i.columns for i in upgraded.db["deliveries"].indexes] == [["call_id"]]
        assert upgraded.db["call_metrics"].count == 2 and upgraded.db["call_speakers"].count == 4
        assert upgraded.db.execute("pragma foreign_key_check").fetchall() == []
    finally:
        upgraded.close()


def test_datasette_serves_the_store_with_the_shipped_metadata(store, cli, tmp_path):
    db, _ = store
    served = tmp_path / "hearflow.db"
    shutil.copy(db, served)
    metadata = tmp_path / "metadata.json"
    metadata.write_text(cli("datasette-metadata", "--db", served).stdout)
    as_yaml = yaml.safe_load(cli("datasette-metadata", "--db", served, "--yaml").stdout)
    assert as_yaml == json.loads(metadata.read_text())

    def get(path):
        done = _tool("datasette", served, "--metadata", metadata, "--get", path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    tables = {t["name"]: t for t in json.loads(get("/hearflow.json"))["tables"]}
    assert {name for name, t in tables.items() if t["hidden"]} == set(HIDDEN) & set(tables)
    assert "_sqlite_migrations" in tables and tables["_sqlite_migrations"]["hidden"]
    assert "<h1>Call metrics and analysis</h1>" in get("/hearflow/call_metrics")
    facets = json.loads(get("/hearflow/call_metrics.json"))["facet_results"]
    assert {"sentiment", "resolution", "agent_performance", "escalation_risk", "key_topics"} <= set(facets)
    assert sum(v["count"] for v in facets["sentiment"]["results"]) == 2
    overview = json.loads(get("/hearflow/call_overview.json?_shape=array"))
    assert sorted(r["mode"] for r in overview) == ["channel", "mono"] and all(r["summary"] for r in overview)
    speakers = json.loads(get("/hearflow/call_speakers.json?_labels=on&_shape=array"))
    assert {Path(r["call_id"]["label"]).name for r in speakers} == {"support-stereo.wav", "support-mono.wav"}
