"""What a job costs on a Prefect work pool (``hearflow api --prefect``) against the default worker.

The same ``--calls`` distinct short stereo calls are submitted one at a time, each waited for, to:

* ``hearflow api --workers 1`` (the default mode: the worker process keeps its model loaded);
* ``hearflow api --prefect --workers 1`` with one ``hearflow worker`` (runs in its own process,
  the model loaded once) on a pool the API makes;
* the same with one ``prefect worker start --type process`` (a process per run) on a ``process``
  pool made beforehand (skipped with ``--no-process-worker``).

Both workers poll every second, on a Prefect server started for the run. Reported per mode: the
median seconds from submit to completed; for each Prefect worker also the median time the flow
run spent Running and the rest (the worker's poll, starting the run, the API's poll), and the
ratio to the default mode.

Run: ``.venv/bin/python bench/prefect_jobs.py [--calls 4]``; results also go to
``bench/results/prefect_jobs.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from api_load import make_calls  # noqa: E402
from api_server import ApiServer, wait_for_job  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "prefect_jobs.json"
PREFECT = str(Path(sys.executable).with_name("prefect"))
HEARFLOW = str(Path(sys.executable).with_name("hearflow"))


def one_at_a_time(server: ApiServer, files: list[Path]) -> list[tuple[str, float]]:
    _, secret = server.key()
    timings = []
    with server.client(secret) as http:
        for path in files:
            began = time.perf_counter()
            job = http.post("/v1/transcription/jobs", files={"audio": (path.name, path.read_bytes())},
                            data={"channel": "true"}).json()
            done = wait_for_job(http, job["id"], timeout=600)
            if done["status"] != "completed":
                raise RuntimeError(f"job failed: {done}")
            timings.append((job["id"], time.perf_counter() - began))
    return timings


def running_seconds(job_ids: list[str]) -> list[float]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[f"job {job_id}" for job_id in job_ids])))
    return [run.total_run_time.total_seconds() for run in runs]


def on_pool(folder: Path, files: list[Path], pool: str, worker_command: list[str]) -> dict:
    """Median seconds per job through the API to one worker on ``pool``, and inside the run."""
    remote = ApiServer(folder / pool, "--prefect", "--work-pool", pool, "--workers", "1").start()
    # Its own result storage: the step cache of the row before must not answer this row's calls.
    worker = subprocess.Popen(worker_command + ["--pool", pool],
                              env={**os.environ, "PREFECT_WORKER_QUERY_SECONDS": "1",
                                   "PREFECT_WORKER_PREFETCH_SECONDS": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
                                   "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(folder / pool / "results")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        times = one_at_a_time(remote, files)
        running = statistics.median(running_seconds([job_id for job_id, _ in times]))
    finally:
        remote.stop()
        worker.terminate()
        worker.wait(timeout=30)
    median = statistics.median(seconds for _, seconds in times)
    return {"job_seconds_median": round(median, 2), "flow_run_running_seconds_median": round(running, 2),
            "outside_the_run_seconds_median": round(median - running, 2)}


def make_process_pool(name: str) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:  # as a team would, before starting the API
        client.create_work_pool(WorkPoolCreate(name=name, type="process",
                                               base_job_template=ProcessWorker.get_default_base_job_template()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--no-process-worker", action="store_true", help="only the hearflow worker")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hearflow-prefect-jobs-"))
    os.environ["PREFECT_HOME"] = str(folder / "prefect-home")
    os.environ["HEARFLOW_HOME"] = str(folder / "hearflow-home")
    from hearflow_flows.temporary_server import temporary_server

    workers = {"hearflow_worker": [HEARFLOW, "worker"]}
    if not args.no_process_worker:
        workers["process_worker"] = [PREFECT, "worker", "start", "--type", "process"]
    rows = {}
    try:
        files, _ = make_calls(folder, args.calls, args.calls)
        load_before = os.getloadavg()
        local = ApiServer(folder / "local", "--workers", "1").start()
        try:
            local_median = statistics.median(seconds for _, seconds in one_at_a_time(local, files))
        finally:
            local.stop()
        with temporary_server():
            for label, command in workers.items():
                pool = f"bench-{label.split('_')[0]}"
                if label == "process_worker":
                    make_process_pool(pool)
                rows[label] = on_pool(folder, files, pool, command)
                rows[label]["ratio_to_default"] = round(rows[label]["job_seconds_median"] / local_median, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "calls": args.calls,
        "default_worker_job_seconds_median": round(local_median, 2),
        **rows,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
