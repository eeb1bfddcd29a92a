"""What a job costs on a Prefect work pool (``hearflow api --prefect``) against the default worker.

The same ``--calls`` distinct short stereo calls are submitted one at a time, each waited for, to:

* ``hearflow api --workers 1`` (the default mode: the worker process keeps its model loaded);
* ``hearflow api --prefect --workers 1`` with one ``prefect worker start --type process`` on a
  Prefect server started for the run (the worker polls every second).

Reported per mode: the median seconds from submit to completed; for Prefect also the median
time the flow run spent Running (its process imports hearflow and loads the model inside it) and
the rest (the worker's poll, starting the run's process, the API's poll). The difference of the
two medians is what handing a job to a process worker costs.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hearflow-prefect-jobs-"))
    os.environ["PREFECT_HOME"] = str(folder / "prefect-home")
    os.environ["HEARFLOW_HOME"] = str(folder / "hearflow-home")
    from hearflow_flows.temporary_server import temporary_server

    worker = None
    try:
        files, _ = make_calls(folder, args.calls, args.calls)
        load_before = os.getloadavg()
        local = ApiServer(folder / "local", "--workers", "1").start()
        try:
            local_times = one_at_a_time(local, files)
        finally:
            local.stop()
        with temporary_server():
            remote = ApiServer(folder / "prefect", "--prefect", "--work-pool", "bench", "--workers", "1").start()
            worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "bench", "--type", "process"],
                                      env={**os.environ, "PREFECT_WORKER_QUERY_SECONDS": "1",
                                           "PREFECT_LOGGING_LEVEL": "WARNING"},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                prefect_times = one_at_a_time(remote, files)
                running = running_seconds([job_id for job_id, _ in prefect_times])
            finally:
                remote.stop()
                worker.terminate()
                worker.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    local_median = statistics.median(seconds for _, seconds in local_times)
    prefect_median = statistics.median(seconds for _, seconds in prefect_times)
    report = {
        "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "calls": args.calls,
        "default_worker_job_seconds_median": round(local_median, 2),
        "prefect_job_seconds_median": round(prefect_median, 2),
        "prefect_flow_run_running_seconds_median": round(statistics.median(running), 2),
        "prefect_outside_the_run_seconds_median": round(prefect_median - statistics.median(running), 2),
        "prefect_cost_per_job_seconds": round(prefect_median - local_median, 2),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
