"""`kill -9` of the API server with jobs queued and processing, then a restart: every job
completes exactly once, billed once, stored once."""

from __future__ import annotations

import sqlite3
import time

from api_server import ApiServer, wait_for_job

SCRIPTS = [
    (("SPEAKER_1", f"Good morning, this is call number {word}."), ("SPEAKER_2", "Hello, I need help with a refund."))
    for word in ("one", "two", "three", "four")
]


def test_every_job_completes_exactly_once_after_kill_9(tmp_path):
    from hearflow.media.synth import build_call, write_call

    recordings = []
    for index, script in enumerate(SCRIPTS):
        path = tmp_path / f"call-{index}.wav"
        write_call(build_call(script), path, stereo=True)
        recordings.append(path)
    server = ApiServer(tmp_path / "server", "--workers", "1", "--lease-seconds", "5").start()
    _, secret = server.key()
    try:
        with server.client(secret) as http:
            ids = []
            for path in recordings:
                with path.open("rb") as audio:
                    response = http.post("/v1/transcription/jobs", files={"audio": (path.name, audio)},
                                         data={"channel": "true"})
                assert response.status_code == 202
                ids.append(response.json()["id"])
            wait_for_job(http, ids[0], until=("processing",), timeout=120)
        server.kill()
        db = sqlite3.connect(server.db)
        before = dict(db.execute("SELECT id, status FROM api_jobs"))
        assert "processing" in before.values() and "queued" in before.values()

        server.start()
        with server.client(secret) as http:
            finished = [wait_for_job(http, job_id, timeout=300) for job_id in ids]
    finally:
        server.stop()
    assert [job["status"] for job in finished] == ["completed"] * len(ids)
    billed = db.execute("SELECT ref, count(*) FROM api_usage WHERE kind = 'job' GROUP BY ref").fetchall()
    assert sorted(billed) == sorted((job_id, 1) for job_id in ids)
    calls = {job["result"]["call_id"] for job in finished}
    assert len(calls) == len(ids)
    assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == len(ids)
    attempts = dict(db.execute("SELECT id, attempts FROM api_jobs"))
    interrupted = [job_id for job_id, status in before.items() if status == "processing"]
    assert all(attempts[job_id] == 2 for job_id in interrupted)
    assert all(attempts[job_id] == 1 for job_id in ids if job_id not in interrupted)
    assert not any((server.data_dir / "spool").iterdir())
