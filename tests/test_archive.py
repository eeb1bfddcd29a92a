"""Archive runs: mixed formats, corrupt files, duplicates, artifacts, a kill mid-run, Dask."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client

from hearflow.settings import AnalyzeSettings
from hearflow.media.synth import SUPPORT_CALL, build_call, write_call
from hearflow_flows import process_archive
from media import convert

FORMATS = ["mp3", "ogg", "flac", "m4a", "wav", "webm", "aac", "wav", "ulaw", "mp3"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """10 distinct short calls in mixed formats, one byte-identical copy, two corrupt files."""
    root = tmp_path_factory.mktemp("archive")
    (root / "2026-11-20").mkdir()
    for index, name in enumerate(FORMATS):
        script = SUPPORT_CALL[index % 7: index % 7 + 2]
        source = root / f"raw-{index}.wav"
        write_call(build_call(script, gap=0.3 + 0.05 * index), source, stereo=index % 2 == 0)
        folder = root / "2026-11-20" if index % 3 else root
        extension = {"ulaw": "wav", "m4a": "m4a"}.get(name, name)
        convert(source, folder / f"call-{index:02d}.{extension}", name)
        source.unlink()
    shutil.copy(root / "call-00.mp3", root / "2026-11-20" / "call-00-again.mp3")
    (root / "corrupt-header.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    (root / "2026-11-20" / "garbage.mp3").write_bytes(os.urandom(4096))
    (root / "notes.txt").write_text("not a recording, and not picked up by the default pattern")
    return root


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_archive_stores_good_calls_once_and_records_failures(archive, tmp_path):
    db = tmp_path / "h.db"
    state = process_archive([str(archive)], settings=AnalyzeSettings(analyzer="offline"), db_path=str(db),
                            workers=2, return_state=True)
    summary = state.result()
    assert (summary.found, summary.processed, summary.duplicates, summary.failed) == (13, 10, 1, 2)
    assert sorted(f["code"] for f in summary.failures) == ["corrupt_audio", "not_audio"]
    assert _rows(db, "select count(*), count(distinct sha256) from calls") == [(10, 10)]
    assert _rows(db, "select count(*) from failures join runs on runs.id = failures.run_id") == [(2,)]
    (run,) = _rows(db, "select processed, failed, duplicates from runs")
    assert run == (10, 2, 1)

    artifacts = _artifacts(state.state_details.flow_run_id)
    kinds = {a["key"]: a["type"] for a in artifacts}
    assert kinds == {"hearflow-archive-calls": "table", "hearflow-archive-report": "markdown"}
    report = next(a for a in artifacts if a["type"] == "markdown")["data"]
    assert "| 13 | 10 | 0 | 1 | 2 |" in report and "error[corrupt_audio]" in report

    again = process_archive([str(archive)], settings=AnalyzeSettings(analyzer="offline"), db_path=str(db))
    assert (again.processed, again.skipped, again.failed) == (0, 11, 2)
    assert _rows(db, "select count(*) from calls") == [(10,)]


def test_killed_archive_resumes_without_loss_or_duplicates(archive, tmp_path):
    db = tmp_path / "h.db"
    command = [str(Path(sys.executable).with_name("hearflow")), "archive", str(archive), "--db", str(db),
               "-w", "1", "-q", "--analyzer", "offline"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if db.exists() and _stored(db) >= 2:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the archive finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stored_before = _stored(db)
    assert 2 <= stored_before < 10

    done = subprocess.run(command[:-3] + ["--json", "--analyzer", "offline"], capture_output=True, text=True,
                          timeout=600)
    summary = json.loads(done.stdout)
    assert summary["processed"] == 10 - stored_before  # nothing finished before the kill is redone
    assert summary["failed"] == 2
    assert _rows(db, "select count(*), count(distinct id), count(distinct sha256) from calls") == [(10, 10, 10)]
    # The killed run is recorded, unfinished; the second one finished.
    assert sorted(_rows(db, "select finished_at is null from runs")) == [(0,), (1,)]


def _artifacts(flow_run_id, wanted=2, timeout=60.0) -> list[dict]:
    """Artifacts of a flow run from the Prefect API, waiting for them to reach the server."""
    query = {"artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}}, "sort": "KEY_ASC", "limit": 10,
             "offset": 0}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            response = client._client.post("/artifacts/filter", json=query)
            response.raise_for_status()
            if len(response.json()) >= wanted or time.monotonic() > deadline:
                return response.json()
            time.sleep(0.5)


def _stored(db: Path) -> int:
    try:
        return _rows(db, "select count(*) from calls")[0][0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_archive_on_a_local_dask_cluster_matches_threads(archive, tmp_path):
    from distributed import LocalCluster

    subset = tmp_path / "subset"
    subset.mkdir()
    for name in ("call-00.mp3", "call-03.m4a", "corrupt-header.wav"):
        shutil.copy(archive / name, subset / name)
    settings = AnalyzeSettings(analyzer="offline")
    threads = process_archive([str(subset)], settings=settings, db_path=str(tmp_path / "threads.db"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = process_archive([str(subset)], settings=settings, db_path=str(tmp_path / "dask.db"),
                               dask_address=cluster.scheduler_address)
    assert (dask.processed, dask.failed) == (threads.processed, threads.failed) == (2, 1)
    query = "select id, transcript, speaker_timing from calls order by id"
    assert _rows(tmp_path / "dask.db", query) == _rows(tmp_path / "threads.db", query)
