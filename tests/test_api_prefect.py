"""`hearflow api --prefect`: jobs submitted over HTTP to a real server become runs of the
transcribe-job deployment, picked up by a real `hearflow worker` on the session's Prefect
server, which runs them in its own process (the model loaded once); the API finishes them
through the same tail as its own workers."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api_server import SHORT_CALL, WEBHOOK_SECRET, ApiServer, free_port, wait_for_job
from conftest import run_cli
from local_http import https_recording
from webhook_receiver import Receiver

JOBS = "/v1/transcription/jobs"


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    from hearflow.media.synth import build_call, write_call

    path = tmp_path_factory.mktemp("prefect-media") / "short-stereo.wav"
    write_call(build_call(SHORT_CALL), path, stereo=True)
    return path


@pytest.fixture(scope="module")
def https_audio(recording, tmp_path_factory):
    with https_recording(recording.read_bytes(), tmp_path_factory.mktemp("api-tls")) as served:
        yield served


def start_worker(pool: str, log: Path, env: dict) -> subprocess.Popen:
    """`hearflow worker` polling every second (a flow run starts within a second or two), two
    runs at once; the tests' folder importable, for the flows of `worker_flows`."""
    tests = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING", "PYTHONPATH": tests, **env}
    return subprocess.Popen([str(Path(sys.executable).with_name("hearflow")), "worker", "--pool", pool,
                             "--limit", "2"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def run_on_pool(pool: str, flow, entrypoint: str, **parameters):
    """A run of a test flow deployed on the pool (one deployment per entrypoint)."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        deployment = client.create_deployment(flow_id=client.create_flow(flow), name=entrypoint.replace(":", "-"),
                                              work_pool_name=pool, entrypoint=entrypoint)
        return client.create_flow_run_from_deployment(deployment, parameters=parameters).id


def wait_for_run(run_id, until, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not until((run := read_run(run_id)).state) and time.monotonic() < deadline:
        time.sleep(0.3)
    return run


def read_run(run_id):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def flow_runs_named(name: str) -> list:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))


def set_run_state(run_id, state) -> None:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, state, force=True)


def cancel_run(run_id) -> None:
    from prefect.states import Cancelled

    set_run_state(run_id, Cancelled())


def test_jobs_run_on_a_prefect_work_pool_once_each_across_a_kill_9(tmp_path, recording, https_audio):
    from hearflow_webhook.signing import verify
    from prefect.states import Cancelling
    from worker_flows import exits, steps

    base, ca_file, hits = https_audio
    pool = "hearflow-test-" + secrets.token_hex(3)
    spool = tmp_path / "shared-spool"  # what a team mounts on every worker
    env = {"HEARFLOW_CA_BUNDLE": str(ca_file)}
    server = ApiServer(tmp_path / "api", "--prefect", "--work-pool", pool, "--workers", "4", "--spool-dir",
                       str(spool), "--allow-outbound", "127.0.0.1/32", "--lease-seconds", "5", env=env).start()
    worker = None
    try:
        key_id, secret = server.key()
        with Receiver() as receiver, server.client(secret) as http:
            upload = http.post(JOBS, files={"audio": ("short.wav", recording.read_bytes())},
                               data={"channel": "true", "formats": "srt", "webhook_url": receiver.url})
            fetched = http.post(JOBS, json={"audio_url": f"{base}/calls/short.wav", "diarize": True})
            doomed = http.post(JOBS, json={"audio_url": f"{base}/calls/doomed.wav"}).json()
            assert upload.status_code == fetched.status_code == 202, (upload.text, fetched.text)
            ids = [upload.json()["id"], fetched.json()["id"]]
            # No worker yet: the runs wait on the pool, the jobs are handed over (processing).
            for job_id in ids + [doomed["id"]]:
                wait_for_job(http, job_id, until=("processing",), timeout=60)
            deadline = time.monotonic() + 30
            while not all(flow_runs_named(f"job {job_id}") for job_id in ids + [doomed["id"]]) \
                    and time.monotonic() < deadline:
                time.sleep(0.3)
            cancel_run(flow_runs_named(f"job {doomed['id']}")[0].id)  # as an operator would, in the UI
            failed = wait_for_job(http, doomed["id"], timeout=60)
            assert failed["status"] == "failed" and failed["error"]["code"] == "worker_failed", failed
            server.kill()  # runs were created; the server that made them is gone
            exiting = run_on_pool(pool, exits, "worker_flows.exits")
            by_path = run_on_pool(pool, exits, "worker_flows.py:exits")  # a script path: code to pull
            worker = start_worker(pool, tmp_path / "worker.log", env)  # runs them while the server restarts
            server.start()  # takes its jobs back once the dead instance's pid is gone, and asks again
            with server.client(secret) as again:
                done = [wait_for_job(again, job_id, timeout=240) for job_id in ids]
                for job in done:
                    assert job["status"] == "completed", (job, (tmp_path / "worker.log").read_text()[-3000:])
                    assert "Friday" in job["result"]["text"]
                header = again.get(f"{JOBS}/{ids[0]}").headers["X-Hearflow-Units"]
                srt_file = again.get(done[0]["result"]["formats"]["srt"])
                assert srt_file.status_code == 200 and "Friday" in srt_file.text
                # The same bytes again: answered from the store, no flow run made for it.
                reused = again.post(JOBS, files={"audio": ("again.wav", recording.read_bytes())},
                                    data={"channel": "true"}).json()
                assert wait_for_job(again, reused["id"], timeout=60)["status"] == "completed"
            deadline = time.monotonic() + 60
            while not receiver.requests and time.monotonic() < deadline:
                time.sleep(0.2)
        event = receiver.requests[0]
        verify(WEBHOOK_SECRET, event.body, event.headers["X-Hearflow-Timestamp"], event.headers["X-Hearflow-Signature"])
        assert json.loads(event.body)["id"] == ids[0] and json.loads(event.body)["status"] == "completed"
        # The run that called sys.exit crashed alone: the worker ran the jobs and still runs.
        # (the worker takes runs in its own order: the jobs may finish before it reaches these)
        assert wait_for_run(exiting, lambda state: state.is_final(), timeout=120).state.is_crashed()
        assert worker.poll() is None
        refused = wait_for_run(by_path, lambda state: state.is_final(), timeout=120).state
        # never imported: the worker runs installed flows only
        assert refused.is_crashed() and "installed flows only" in refused.message, refused
        # A run cancelled while it runs (as the UI does: Cancelling) finishes in its thread, whose
        # end the server refuses; the worker then says Cancelled, not Completed, and goes on.
        # (generous waits: on a loaded machine the pick-up and each task's bookkeeping take seconds)
        slow = run_on_pool(pool, steps, "worker_flows.steps", count=8, seconds=1.0)
        assert wait_for_run(slow, lambda state: state.is_running(), timeout=180).state.is_running()
        set_run_state(slow, Cancelling())
        stopped = wait_for_run(slow, lambda state: state.is_final(), timeout=180)
        assert stopped.state.is_cancelled(), stopped.state
        assert worker.poll() is None
    finally:
        server.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    for job_id in ids:  # exactly one run per job, though the server asked again after its restart
        runs = flow_runs_named(f"job {job_id}")
        assert len(runs) == 1 and runs[0].state.is_completed(), runs
        # ... run inside the worker's own process (a process worker records a child per run) ...
        assert runs[0].infrastructure_pid == str(worker.pid), runs
    # ... which prepared its models once, before the first run.
    log = (tmp_path / "worker.log").read_text()
    assert log.count("models prepared in") == 1, log
    ended = [line for line in log.splitlines() if "ended Completed" in line]
    assert len(ended) == 2 and all(f"of process {worker.pid})" in line for line in ended), log
    assert flow_runs_named(f"job {reused['id']}") == []
    db = sqlite3.connect(server.db)
    billed = dict(db.execute("SELECT ref, units_ms FROM api_usage WHERE kind = 'job' AND key_id = ?", [key_id]))
    assert sorted(billed) == sorted(ids + [reused["id"]])
    assert int(header.replace(".", "")) == billed[ids[0]]
    assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == 2  # stereo and diarized: two calls
    assert hits == ["/calls/short.wav"]  # fetched by the worker, once; the cancelled run never ran
    assert not any(spool.iterdir())  # uploads and hand-offs removed once the jobs finished


def test_worker_says_when_it_has_no_prefect_server(tmp_path):
    unset = run_cli("worker", "--pool", "nowhere", env={"PREFECT_API_URL": ""})
    assert unset.returncode == 1 and "error[prefect_server_required]" in unset.stderr, unset.stderr
    closed = free_port()  # nothing listens there
    unreachable = run_cli("worker", "--pool", "nowhere", env={"PREFECT_API_URL": f"http://127.0.0.1:{closed}/api"},
                          timeout=60)
    assert unreachable.returncode == 1 and "error[prefect_unavailable]" in unreachable.stderr, unreachable.stderr
    assert "cannot be reached" in unreachable.stderr
