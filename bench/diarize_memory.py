"""Peak memory of the overlap diarizer against call length: is it flat?

For each length (minutes), a fresh process builds a three-voice espeak-ng call (as
``bench/diarize.py --long`` does), resamples it to 16 kHz as decoding does for the pipeline,
notes its resident memory with the call in hand, runs the diarizer, and reports the peak. The
call itself grows with its length (float32 at 16 kHz, 3.84 MB a minute); what the diarizer adds
on top should not.

Run: ``.venv/bin/python bench/diarize_memory.py [--diarizer overlap] [7.5 30]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(minutes: float, diarizer: str) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "tests"))
    from diarize import long_call

    from hearflow import STAGE_RATE, resample
    from hearflow.plugins.manager import build_registry

    samples, rate, _ = long_call(minutes)
    samples, rate = resample(samples, rate, STAGE_RATE), STAGE_RATE
    stage = build_registry().get("separator", diarizer)()
    stage.diarize_views(samples[: rate * 12], rate)  # models loaded before the baseline
    before = _rss_mb()
    start = time.perf_counter()
    exclusive, overlapped = stage.diarize_views(samples, rate)
    return {"minutes": minutes, "audio_s": round(len(samples) / rate, 1), "diarizer": diarizer,
            "rss_before_mb": round(before), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "diarize_s": round(time.perf_counter() - start, 1),
            "speakers": len({t.speaker for t in overlapped or exclusive})}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", nargs="*", type=float, default=[7.5, 30])
    parser.add_argument("--diarizer", default="overlap")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.minutes[0], args.diarizer)))
        return
    for minutes in args.minutes:
        done = subprocess.run([sys.executable, __file__, "--child", "--diarizer", args.diarizer, str(minutes)],
                              capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["added_mb"] = row["peak_rss_mb"] - row["rss_before_mb"]
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
