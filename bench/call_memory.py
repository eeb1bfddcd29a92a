"""Resident memory of one long mono call, step by step, in one process.

    .venv/bin/python bench/call_memory.py --minutes 30 [--minutes 7.5] [--format flac|mp3|wav]

For each length, a fresh process loads the default engine (models prepared first), then walks
``hearflow.pipeline.steps.STEPS`` itself and, around every step, notes the resident memory
after it, the step's own peak (the kernel's high-water mark is reset before each step through
``/proc/self/clear_refs``) and the numpy arrays the pipeline state then holds. The decode child's
peak (a forked process) is read apart. The call is the synthetic support call (espeak-ng, 22.05
kHz) laid end to end, whole copies, for at least the length, and written with soundfile (FLAC,
WAV) or ffmpeg (MP3, 64 kb/s); the WER of the transcript against the script is printed too.
With two or more lengths, it prints how each figure grows per extra 10 minutes.
Figures go to stdout and bench/results/call_memory.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_call(path: Path, minutes: float) -> str:
    """The call, whole copies of it end to end for at least ``minutes``; returns what is said."""
    import numpy as np
    import soundfile

    from hearflow.media.synth import build_call

    call = build_call()
    repeats = int(np.ceil(minutes * 60 / call.duration))
    mono = np.tile(call.mono, repeats)
    if path.suffix == ".mp3":
        wav = path.with_suffix(".wav")
        soundfile.write(str(wav), mono, call.rate, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k",
                        str(path)], check=True)
        wav.unlink()
    else:
        soundfile.write(str(path), mono, call.rate, subtype="PCM_16")
    return " ".join([call.text_of()] * repeats)


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from the current RSS


def _held_arrays_mb(value, seen=None) -> float:
    """Megabytes of the distinct numpy buffers reachable from ``value`` (dataclasses, tuples, dicts)."""
    import dataclasses

    import numpy as np

    seen = set() if seen is None else seen
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) in seen:
            return 0.0
        seen.add(id(base))
        return base.nbytes / 1e6
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_held_arrays_mb(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(_held_arrays_mb(v, seen) for v in value)
    if isinstance(value, dict):
        return sum(_held_arrays_mb(v, seen) for v in value.values())
    return 0.0


def child(path: str, reference: str) -> dict:
    from hearflow.evaluation.scoring import wer

    from hearflow.pipeline.engine import Engine
    from hearflow.pipeline.steps import STEPS, initial_state, spent_after
    from hearflow.settings import AnalyzeSettings

    rows = []
    start = time.perf_counter()
    engine = Engine(AnalyzeSettings(max_bytes=2_000_000_000, decode_timeout=3600))
    engine.prepare()
    rows.append({"step": "prepare", "rss_mb": round(_status("VmRSS")), "peak_mb": round(_status("VmHWM")),
                 "held_mb": 0, "seconds": round(time.perf_counter() - start, 1)})
    state = initial_state(engine.fingerprint(path), path)
    for index, step in enumerate(STEPS):  # as hearflow.pipeline.runner.compute walks them
        _reset_peak()
        begun = time.perf_counter()
        state[step.writes] = step.run(engine, state)
        for name in spent_after(index):
            state.pop(name, None)
        rows.append({"step": step.name, "rss_mb": round(_status("VmRSS")), "peak_mb": round(_status("VmHWM")),
                     "held_mb": round(_held_arrays_mb(state)), "seconds": round(time.perf_counter() - begun, 1)})
    decode_child = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    result = state["result"]
    return {"steps": rows, "decode_child_peak_mb": decode_child, "audio_s": result.audio_seconds,
            "words": sum(len(s.words) for s in result.segments), "speakers": len(result.speaker_timing),
            "wer": round(wer(reference, " ".join(s.text for s in result.segments)), 4),
            "process_peak_mb": max(row["peak_mb"] for row in rows)}


def measure(minutes: float, format: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="hearflow-memory-") as tmp:
        path = Path(tmp) / f"call.{format}"
        reference = Path(tmp) / "reference.txt"
        reference.write_text(make_call(path, minutes))
        done = subprocess.run([sys.executable, __file__, "--child", str(path), str(reference)], capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        row = json.loads(done.stdout.strip().splitlines()[-1])
        return {"minutes": minutes, "format": format, "file_mb": round(path.stat().st_size / 1e6, 1), **row}


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, action="append", help="call length (repeatable; default 30)")
    parser.add_argument("--format", default="flac", choices=("flac", "wav", "mp3"))
    parser.add_argument("--child", nargs=2, metavar=("FILE", "REFERENCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]).read_text())))
        return
    runs = []
    for minutes in args.minutes or [30.0]:
        run = measure(minutes, args.format)
        runs.append(run)
        print(f"\n{run['audio_s'] / 60:.1f} min mono {args.format} ({run['file_mb']} MB file), {run['words']} words, "
              f"WER {run['wer']:.3f}, {run['speakers']} speakers; decode child peak {run['decode_child_peak_mb']} MB")
        print(f"{'step':<11} {'RSS after':>10} {'step peak':>10} {'arrays held':>12} {'time':>8}")
        for row in run["steps"]:
            print(f"{row['step']:<11} {row['rss_mb']:>7} MB {row['peak_mb']:>7} MB {row['held_mb']:>9} MB "
                  f"{row['seconds']:>7.1f}s")
        print(f"process peak {run['process_peak_mb']} MB", flush=True)
    if len(runs) >= 2:
        first, last = runs[0], runs[-1]
        per10 = 600 / (last["audio_s"] - first["audio_s"])
        print(f"\ngrowth per extra 10 minutes ({first['audio_s'] / 60:.1f} → {last['audio_s'] / 60:.1f} min): "
              f"process peak {(last['process_peak_mb'] - first['process_peak_mb']) * per10:+.0f} MB")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "call_memory.json").write_text(json.dumps({"load_average": load, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
