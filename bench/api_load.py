"""Load on ``hearflow api``: 200 concurrent job submits of short calls on loopback.

Measures, in one run on this machine:

* submit latency (p50, p99, max) of 200 multipart submits sent at once, each answered 202;
* that no job is lost or duplicated: 200 distinct ids, 200 rows in the store, each completed
  once and billed once in the usage ledger;
* job throughput (jobs, and distinct calls computed, per minute from the first submit to the
  last completion) against ``hearflow archive`` on the same files with the same number of workers.

The 200 submits cycle through ``--distinct`` different recordings, so, as in an archive with
repeated files, each distinct recording is computed once and the repeats reuse the stored call.

Run: ``.venv/bin/python bench/api_load.py [--jobs 200] [--distinct 8] [--workers 2] [--rounds 3]``;
with rounds, API and archive runs alternate, so a change of load on a shared machine falls on
both, and the median round is reported. Results are printed and written to
``bench/results/api_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import httpx  # noqa: E402

from api_server import ApiServer  # noqa: E402

HEARFLOW = str(Path(sys.executable).with_name("hearflow"))
RESULTS = Path(__file__).resolve().parent / "results" / "api_load.json"
LINES = ("Thank you for calling, how can I help?", "My parcel is late.", "It will arrive on Friday.",
         "Can I get a refund?", "I have sent the tracking link.", "That is all, thank you.")


def make_calls(folder: Path, distinct: int, copies: int) -> tuple[list[Path], float]:
    """``distinct`` different short calls, each copied so there are ``copies`` files in all."""
    from hearflow.media.synth import build_call, write_call

    sources, seconds = [], {}
    for index in range(distinct):
        script = (("SPEAKER_1", LINES[index % len(LINES)] + f" Case {index + 1}."),
                  ("SPEAKER_2", LINES[(index + 1) % len(LINES)]))
        call = build_call(script)
        path = folder / f"distinct-{index:02d}.wav"
        write_call(call, path, stereo=True)
        sources.append(path)
        seconds[path] = call.duration
    files = []
    for number in range(copies):
        source = sources[number % distinct]
        target = folder / "archive" / f"call-{number:03d}.wav"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        files.append(target)
    return files, sum(seconds[sources[n % distinct]] for n in range(copies))


async def submit_all(url: str, secret: str, files: list[Path]) -> list[tuple[float, int, str]]:
    limits = httpx.Limits(max_connections=len(files), max_keepalive_connections=len(files))
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=120,
                                 limits=limits) as client:
        payloads = [(path.name, path.read_bytes()) for path in files]
        start = asyncio.Event()

        async def one(name: str, body: bytes):
            await start.wait()
            began = time.perf_counter()
            response = await client.post("/v1/transcription/jobs", files={"audio": (name, body)},
                                         data={"channel": "true"})
            return time.perf_counter() - began, response.status_code, response.json().get("id")

        tasks = [asyncio.create_task(one(name, body)) for name, body in payloads]
        await asyncio.sleep(0.2)
        start.set()  # every request leaves at once
        return await asyncio.gather(*tasks)


def sequential_submit_ms(folder: Path, files: list[Path]) -> float:
    """The bare cost of one submit: the median of submits sent one after another to a server
    with no workers (its own store), so nothing else competes for the CPU."""
    server = ApiServer(folder / "baseline", "--workers", "0").start()
    _, secret = server.key()
    latencies = []
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as client:
            for path in files:
                began = time.perf_counter()
                client.post("/v1/transcription/jobs", files={"audio": (path.name, path.read_bytes())},
                            data={"channel": "true"}).raise_for_status()
                latencies.append(time.perf_counter() - began)
    finally:
        server.stop()
    return round(1000 * statistics.median(latencies), 1)


def wait_all(url: str, secret: str, ids: list[str], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60) as client:
        pending = set(ids)
        while pending and time.monotonic() < deadline:
            page, cursor = [], None
            while True:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                body = client.get("/v1/transcription/jobs", params=params).json()
                page += body["data"]
                cursor = body["next_cursor"]
                if not cursor:
                    break
            pending -= {job["id"] for job in page if job["status"] in ("completed", "failed")}
            if pending:
                time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} job(s) not finished in {timeout} s")
    return time.perf_counter()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_api(folder: Path, files: list[Path], workers: int) -> dict:
    server = ApiServer(folder / "api", "--workers", str(workers)).start()
    _, secret = server.key()
    try:
        began = time.perf_counter()
        answers = asyncio.run(submit_all(server.url, secret, files))
        submitted = time.perf_counter()
        ids = [job_id for _, status, job_id in answers if status == 202]
        finished = wait_all(server.url, secret, ids, timeout=3600)
    finally:
        server.stop()
    db = sqlite3.connect(server.db)
    statuses = dict(db.execute("SELECT status, count(*) FROM api_jobs GROUP BY status"))
    billed = db.execute("SELECT count(*), count(DISTINCT ref) FROM api_usage WHERE kind = 'job'").fetchone()
    calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
    latencies = [seconds for seconds, _, _ in answers]
    return {
        "workers": workers, "submits": len(files), "accepted_202": sum(1 for _, s, _ in answers if s == 202),
        "distinct_job_ids": len(set(ids)), "job_rows": sum(statuses.values()), "statuses": statuses,
        "billed_rows": billed[0], "billed_distinct_jobs": billed[1], "calls_stored": calls,
        "lost": len(files) - len(set(ids)), "duplicated": billed[0] - billed[1],
        "upload_bytes_each": files[0].stat().st_size,
        "submit_p50_ms": round(1000 * statistics.median(latencies), 1),
        "submit_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "submit_max_ms": round(1000 * max(latencies), 1),
        "all_submitted_seconds": round(submitted - began, 2),
        "first_submit_to_last_completion_seconds": round(finished - began, 2),
    }


def run_archive(folder: Path, files: list[Path], workers: int) -> dict:
    db = folder / "archive.db"
    env = {**os.environ, "HEARFLOW_HOME": str(folder / "archive-home")}
    began = time.perf_counter()
    done = subprocess.run([HEARFLOW, "archive", str(files[0].parent), "--db", str(db), "-w", str(workers),
                           "--json", "--analyzer", "offline", "-q"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"hearflow archive failed: {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    return {"workers": workers, "command_seconds": round(wall, 2), "flow_seconds": summary["wall_seconds"],
            "found": summary["found"], "processed": summary["processed"], "duplicates": summary["duplicates"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--distinct", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1,
                        help="API and archive runs, alternating; the ratio reported is their median")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hearflow-api-load-"))
    try:
        files, audio_seconds = make_calls(folder, args.distinct, args.jobs)
        load_before = os.getloadavg()
        baseline_ms = sequential_submit_ms(folder, files[:20])
        rounds = []
        for number in range(args.rounds):
            api = run_api(folder / f"round-{number}", files, args.workers)
            archive = run_archive(folder / f"round-{number}", files, args.workers)
            rounds.append({"api": api, "archive": archive, "load_average": round(os.getloadavg()[0], 2),
                           # > 1: the API finished the same files sooner than `hearflow archive` (its
                           # command time, start-up included, as a user would see it)
                           "api_vs_archive_throughput": round(
                               archive["command_seconds"] / api["first_submit_to_last_completion_seconds"], 2)})
        median = sorted(rounds, key=lambda r: r["api_vs_archive_throughput"])[len(rounds) // 2]
        api, archive = median["api"], median["archive"]
        api_seconds = api["first_submit_to_last_completion_seconds"]
        report = {
            "machine": {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
                        "load_average_after": [round(x, 2) for x in os.getloadavg()]},
            "audio_seconds_submitted": round(audio_seconds, 1), "distinct_recordings": args.distinct,
            "sequential_submit_median_ms": baseline_ms, "api": api, "archive": archive,
            "api_jobs_per_minute": round(60 * args.jobs / api_seconds, 1),
            "archive_files_per_minute": round(60 * args.jobs / archive["command_seconds"], 1),
            "api_vs_archive_throughput": median["api_vs_archive_throughput"],  # the median round's
            "rounds": [{"api_seconds": r["api"]["first_submit_to_last_completion_seconds"],
                        "archive_seconds": r["archive"]["command_seconds"], "load_average": r["load_average"],
                        "api_vs_archive_throughput": r["api_vs_archive_throughput"],
                        "lost": r["api"]["lost"], "duplicated": r["api"]["duplicated"]} for r in rounds],
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
