"""Metrics, analysis and Q&A through the commands a user types."""

from __future__ import annotations

import json

from hearflow.store.store import Store

CONFIG = """
analyzer = "offline"
[metrics.trackers]
bins = 4
trackers = { delivery = ["arrive", "tracking link", "parcel"], pricing = ["price"] }
"""


def test_config_trackers_analysis_and_ask(cli, tmp_path, stereo_wav):
    config, db = tmp_path / "hearflow.toml", tmp_path / "h.db"
    config.write_text(CONFIG)
    done = cli("analyze", stereo_wav, "--config", config, "--db", db, "--json", "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    trackers = data["metrics"]["trackers"]
    assert trackers["counts"] == {"delivery": 4, "pricing": 0}  # "arrive" is said twice
    assert sum(trackers["bins"]["delivery"]) == 4 and len(trackers["bins"]["delivery"]) == 4
    assert {h["phrase"] for h in trackers["hits"]} == {"arrive", "tracking link", "parcel"}
    assert data["metrics"]["conversation"]["switches"] == 7
    assert data["insights"]["heuristic"] is True
    assert data["analysis"].startswith("Customer Sentiment: ")
    assert data["summary"].endswith("(offline heuristic)")

    asked = cli("ask", data["id"][:6], "What is the order number?", "--db", db)
    assert asked.returncode == 0, asked.stderr
    assert "order number" in asked.stdout and "  > [00:" in asked.stdout
    store = Store(db)
    (row,) = store.answers(data["id"])
    assert row["question"] == "What is the order number?" and json.loads(row["quotes"])
    assert store.analyses(data["id"])[0]["analyzer"] == "offline"
    assert store.db["calls"].get(data["id"])["summary"] == data["summary"]
    store.close()


def test_a_typo_in_the_config_is_an_error(cli, tmp_path, stereo_wav):
    config = tmp_path / "bad.toml"
    config.write_text('analyser = "offline"\n')
    done = cli("analyze", stereo_wav, "--config", config, "--db", tmp_path / "h.db")
    assert done.returncode == 1 and "error[invalid_config]" in done.stderr and "analyser" in done.stderr


def test_changing_the_analyzer_redoes_only_the_analysis(cli, tmp_path, stereo_wav):
    db = tmp_path / "h.db"
    first = json.loads(cli("analyze", stereo_wav, "--db", db, "--json", "-q").stdout)
    skipped = json.loads(cli("analyze", stereo_wav, "--db", db, "--json", "-q", "--analyzer", "none").stdout)
    assert first["id"] == skipped["id"] and first["insights"] and skipped["insights"] is None
    assert first["transcript"] == skipped["transcript"]
    store = Store(db)
    assert store.db["calls"].count == 1
    store.close()
