"""A schedule that fires: `hearflow serve --cron` against a real Prefect server makes the server's
scheduler create a run, the served process executes it, its artifacts are listed by the Prefect
CLI, and the server logs no error (with SQLAlchemy 2.1 and Prefect 3.8 it logged one every loop
and no run was ever created; with FastAPI 0.151+ the Prefect CLI's list commands got 422)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterName, FlowRunFilter,
                                            FlowRunFilterState, FlowRunFilterStateType)
from prefect.client.schemas.objects import TERMINAL_STATES as FINAL

from serving import hearflow_running


def _prefect_json(*args) -> list[dict]:
    """What a listing command of the Prefect CLI (this venv's) prints with ``-o json``."""
    process = subprocess.run([str(Path(sys.executable).with_name("prefect")), *args, "-o", "json"],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, f"prefect {' '.join(args)}: {process.stdout}{process.stderr}"
    return json.loads(process.stdout)


def _finished_scheduled_runs(client):
    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["nightly"])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=FINAL))))


@pytest.fixture
def db(tmp_path):
    """The store the served deployments write to. The session's Prefect server is shared, so the
    deployments served with it are deleted afterwards: no later test meets this schedule."""
    path = tmp_path / "h.db"
    yield path
    with get_client(sync_client=True) as client:
        for deployment in client.read_deployments():
            if deployment.parameters.get("db_path") == str(path):
                client.delete_deployment(deployment.id)


def test_cron_schedule_fires_and_its_run_is_listed_with_artifacts(tmp_path, db, stereo_wav, prefect_server_log):
    archive = tmp_path / "calls"
    archive.mkdir()
    shutil.copy(stereo_wav, archive / "support.wav")
    # The server is the session's: only what it logs while this schedule runs is this test's.
    already = len(prefect_server_log.read_bytes()) if prefect_server_log.exists() else 0
    # Every minute: the first run is due within 60 s; the test waits for that one only.
    with hearflow_running("serve", "--archive", archive, "--cron", "* * * * *", "--db", db, log=tmp_path / "serve.log"):
        deadline = time.monotonic() + 150
        done = None
        with get_client(sync_client=True) as client:
            while done is None and time.monotonic() < deadline:
                done = next(iter(_finished_scheduled_runs(client)), None)
                time.sleep(2)
        assert done is not None, (f"no scheduled run finished; serve log:\n{(tmp_path / 'serve.log').read_text()}"
                                  f"\nserver log:\n{prefect_server_log.read_text()[-3000:]}")
        assert done.state.is_completed(), done.state
        assert done.auto_scheduled and done.expected_start_time.second == 0
        artifacts = _prefect_json("artifact", "ls", "--all")
        finished = _prefect_json("flow-run", "ls", "--state-type", "COMPLETED", "--limit", "50")
        deployments = _prefect_json("deployment", "ls")

    assert {a["key"] for a in artifacts if a["flow_run_id"] == str(done.id)} == {
        "hearflow-archive-calls", "hearflow-archive-report"}
    assert str(done.id) in {run["id"] for run in finished}
    assert "nightly" in {d["name"] for d in deployments}
    with sqlite3.connect(db) as conn:
        assert conn.execute("select source from calls").fetchall() == [(str(archive / "support.wav"),)]
    logged = prefect_server_log.read_bytes()[already:].decode(errors="replace")
    errors = [line for line in logged.splitlines() if "ERROR" in line]
    assert not errors, "\n".join(errors)
