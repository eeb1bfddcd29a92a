"""Archive throughput and re-run cost of ``hearflow archive``.

Over one generated archive of two-party calls (stereo and mono), against a running Prefect
server on loopback, measures:

* a cold run with 1 worker and a cold run with 2 workers (each with an empty Prefect home and an
  empty store, so nothing is cached): calls per minute and audio hours per hour;
* a re-run of the unchanged archive after the 2-worker run: its time as a fraction of the first
  run, both as the command's wall time and as the flow's own time (``wall_seconds``, which leaves
  out process start-up).

Run: ``.venv/bin/python bench/archive_throughput.py [--calls 12]``. Results are printed and
written to ``bench/results/archive_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HEARFLOW = str(Path(sys.executable).with_name("hearflow"))
PREFECT = str(Path(sys.executable).with_name("prefect"))
RESULTS = Path(__file__).resolve().parent / "results" / "archive_throughput.json"


def make_archive(folder: Path, calls: int) -> float:
    """``calls`` distinct calls (rotating through the support script); returns their audio seconds."""
    from hearflow.media.synth import SUPPORT_CALL, build_call, write_call

    total = 0.0
    for index in range(calls):
        script = SUPPORT_CALL[index % 4:] + SUPPORT_CALL[: index % 4]
        call = build_call(script, gap=0.5 + 0.02 * index)
        write_call(call, folder / f"call-{index:03d}.wav", stereo=index % 2 == 0)
        total += call.duration
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                return server, api
        except OSError:
            time.sleep(0.5)
    os.killpg(server.pid, signal.SIGTERM)
    raise RuntimeError("Prefect server did not start")


def run_archive(folder: Path, db: Path, prefect_home: Path, api: str, workers: int) -> dict:
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_API_URL": api,
           "HEARFLOW_HOME": str(db.parent)}
    started = time.perf_counter()
    done = subprocess.run([HEARFLOW, "archive", str(folder), "--db", str(db), "-w", str(workers), "--json",
                           "--analyzer", "offline"], env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    summary = json.loads(done.stdout)
    return {"workers": workers, "command_seconds": round(wall, 2), "flow_seconds": summary["wall_seconds"],
            "processed": summary["processed"], "skipped": summary["skipped"],
            "audio_seconds": summary["audio_seconds"]}


def throughput(run: dict, audio_seconds: float) -> dict:
    return {**run, "calls_per_minute": round(run["processed"] / (run["command_seconds"] / 60), 2),
            "audio_hours_per_hour": round(audio_seconds / run["command_seconds"], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=12)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hearflow-bench-archive-"))
    server = None
    try:
        folder = work / "calls"
        folder.mkdir()
        audio = make_archive(folder, args.calls)
        server, api = start_server(work / "server-home")
        one = throughput(run_archive(folder, work / "w1" / "h.db", work / "w1" / "prefect", api, 1), audio)
        two = throughput(run_archive(folder, work / "w2" / "h.db", work / "w2" / "prefect", api, 2), audio)
        rerun = run_archive(folder, work / "w2" / "h.db", work / "w2" / "prefect", api, 2)
        results = {
            "calls": args.calls, "audio_seconds": round(audio, 1), "cpu_count": os.cpu_count(),
            "one_worker": one, "two_workers": two, "rerun": rerun,
            "speedup_two_workers": round(one["command_seconds"] / two["command_seconds"], 2),
            "rerun_fraction_command": round(rerun["command_seconds"] / two["command_seconds"], 4),
            "rerun_fraction_flow": round(rerun["flow_seconds"] / two["flow_seconds"], 4),
        }
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
