"""`hearflow calls delete` and `hearflow prune` leave nothing of a call: no row in any table, no
term in the full-text index, no trace in the bytes of the SQLite file and its WAL."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hearflow.models import AnalysisRecord, Answer, CallAnalysis, DeliveryAttempt, DeliveryReport, ErrorInfo
from hearflow.store.store import Store
from test_store import _result

GONE_ID, KEPT_ID = "aaaa1111bbbb2222", "cccc3333dddd4444"
GONE_WORDS = "zanzibarian quokkafeather refund for invoice ZX-81-PLUTO"
KEPT_WORDS = "ordinary renewal of the annual plan"


def _call(call_id, words, sha):
    result = _result(call_id, words).model_copy(update={"sha256": sha * 64, "source": f"/calls/{call_id}.wav"})
    analysis = CallAnalysis(sentiment="neutral", intent=f"{words} intent", resolution="resolved",
                            agent_performance="good", escalation_risk="low", key_topics=[words],
                            action_items=[], compliance="compliant", compliance_notes=[],
                            satisfaction_score=3, summary=f"summary: {words}")
    return result.model_copy(update={"analysis": AnalysisRecord(analyzer="offline", heuristic=True,
                                                                analysis=analysis)})


def _fill(db: Path) -> None:
    store = Store(db)
    for call_id, words, sha in ((GONE_ID, GONE_WORDS, "a"), (KEPT_ID, KEPT_WORDS, "c")):
        result = _call(call_id, words, sha)
        store.save(result)
        store.save(result)  # a second analysis row, and FTS rows deleted and re-inserted
        store.save_answer(call_id, Answer(question=f"what about {words}?", answer=f"it was {words}",
                                          quotes=(words,), analyzer="offline"))
        store.save_deliveries(call_id, [DeliveryReport(
            sink="webhook", target=f"https://crm.example/{call_id}", delivered=True,
            attempts=(DeliveryAttempt(attempt=1, at="2026-11-30T10:00:00Z", status=200, seconds=0.1),))])
        store.save_failure("run1", f"/calls/{call_id}-first-try.wav", sha * 64,
                           ErrorInfo(code="corrupt_audio", message=f"{call_id} failed once"))
    store.save_run("run1", {"found": 2, "processed": 2, "skipped": 0, "duplicates": 0, "failed": 0,
                            "audio_seconds": 10.0, "wall_seconds": 1.0, "started_at": "2026-11-30T10:00:00Z",
                            "sources": ["/calls"],
                            "calls": [{"id": c, "source": f"/calls/{c}.wav", "summary": f"summary: {w}"}
                                      for c, w in ((GONE_ID, GONE_WORDS), (KEPT_ID, KEPT_WORDS))]}, None)
    store.close()


def _file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def _traces(db: Path, call_id: str, words: str) -> list[str]:
    data = _file_bytes(db).lower()
    needles = [call_id, *words.lower().split()[:2], "zx-81-pluto", call_id[:8]]
    return [n for n in needles if n.lower().encode() in data]


def test_delete_removes_every_trace(cli, tmp_path):
    db = tmp_path / "h.db"
    _fill(db)
    home = Path(os.environ["HEARFLOW_HOME"])
    kept_file = home / "cache" / f"{KEPT_ID}.json"
    gone_file = home / "cache" / f"{GONE_ID}.json"
    for path in (kept_file, gone_file):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    assert _traces(db, GONE_ID, GONE_WORDS)  # the needles are really there before

    done = cli("calls", "delete", GONE_ID[:6], "--db", db)
    assert done.returncode == 0, done.stderr
    assert "removed 1 call(s)" in done.stderr and "answers 1" in done.stderr and "analyses 2" in done.stderr
    assert not gone_file.exists() and kept_file.exists()

    assert _traces(db, GONE_ID, GONE_WORDS) == []  # nothing in the bytes of the file, the WAL or the shm
    assert _traces(db, KEPT_ID, "ordinary renewal") != []  # the other call is all there
    store = Store(db)
    assert store.search("quokkafeather") == [] and store.search("renewal")
    counts = {t: store.db.execute(f"select count(*) from [{t}] where call_id = ?", [GONE_ID]).fetchone()[0]
              for t in ("segments", "words", "analyses", "answers", "deliveries")}
    assert counts == dict.fromkeys(counts, 0)
    (summary,) = [json.loads(r["summary"]) for r in store.db.query("select summary from runs")]
    assert [c["id"] for c in summary["calls"]] == [KEPT_ID]
    assert [r["source"] for r in store.db.query("select source from failures")] == [f"/calls/{KEPT_ID}-first-try.wav"]
    store.close()


def test_delete_of_an_unknown_id_removes_nothing(cli, tmp_path):
    db = tmp_path / "h.db"
    _fill(db)
    done = cli("calls", "delete", KEPT_ID, "ffff", "--db", db)
    assert done.returncode == 1 and "error[not_found]" in done.stderr
    store = Store(db)
    assert store.db["calls"].count == 2  # every id is checked before anything goes
    store.close()


def test_prune_removes_calls_older_than_the_age(cli, tmp_path):
    db = tmp_path / "h.db"
    _fill(db)
    store = Store(db)
    store.db.execute("update calls set stored_at = '2026-01-02T03:04:05Z' where id = ?", [GONE_ID])
    store.db.conn.commit()
    store.close()
    dry = cli("prune", "--older-than", "90d", "--dry-run", "--db", db)
    assert dry.stdout.split() == [GONE_ID] and "would be removed" in dry.stderr
    done = cli("prune", "--older-than", "90d", "--db", db)
    assert done.returncode == 0 and "removed 1 call(s)" in done.stderr, done.stderr
    assert _traces(db, GONE_ID, GONE_WORDS) == []
    listed = cli("calls", "--db", db)
    assert KEPT_ID in listed.stdout and GONE_ID not in listed.stdout
    bad = cli("prune", "--older-than", "soon", "--db", db)
    assert bad.returncode == 1 and "error[invalid_options]" in bad.stderr
