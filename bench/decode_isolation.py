"""What does decoding in a time-limited child process cost over decoding in this process?

Over the synthetic support call (40 s, spoken by espeak-ng) as stereo WAV, FLAC, MP3 and M4A, and
the same call three times over as WAV, it times in one run:

* **bare**: the decoder hearflow would pick (libsndfile, else FFmpeg through PyAV) called here;
* **isolated**: the same decoder through ``decode_with_limit``: a forked child, its samples
  handed back through a memory file;
* the first isolated decode, which imports the decoder libraries, apart.

Each figure is the median of ``--repeat`` rounds (default 5), bare and isolated alternating.
Run: ``.venv/bin/python bench/decode_isolation.py``; results go to stdout and
``bench/results/decode_isolation.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from hearflow.media.isolated import decode_with_limit
from hearflow.media.synth import SUPPORT_CALL, build_call, write_call
from hearflow.pipeline.engine import Engine
from hearflow.settings import AnalyzeSettings

RESULTS = Path(__file__).resolve().parent / "results"
ENCODINGS = {"wav": [], "flac": [], "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
             "m4a": ["-c:a", "aac", "-b:a", "96k"]}


def _inputs(folder: Path) -> dict[str, Path]:
    call = folder / "call.wav"
    write_call(build_call(), call, stereo=True)
    files = {"wav": call}
    for name, args in ENCODINGS.items():
        if name != "wav":
            files[name] = folder / f"call.{name}"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(call), *args, str(files[name])],
                           check=True)
    long_call = folder / "long.wav"
    write_call(build_call(SUPPORT_CALL * 3), long_call, stereo=True)
    files["wav ×3"] = long_call
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = Engine(AnalyzeSettings(analyzer="none"))
    decoders = engine.registry.stages("decoder")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hearflow-bench-") as folder:
        files = _inputs(Path(folder))
        started = time.perf_counter()
        first = engine.fingerprint(files["wav"])
        decode_with_limit(engine.decoders_for("wav")[0], first.path, format=first.format, sha256=first.sha256,
                          size_bytes=first.size_bytes, seconds=60, preload=decoders)
        first_fork = time.perf_counter() - started  # imports the decoders, forks, decodes the WAV once
        for label, path in files.items():
            print_ = engine.fingerprint(path)
            decoder = engine.decoders_for(print_.format)[0]
            kwargs = dict(format=print_.format, sha256=print_.sha256, size_bytes=print_.size_bytes)
            bare, isolated = [], []
            for _ in range(args.repeat):
                clock = time.perf_counter()
                audio = decoder().decode(print_.path, **kwargs)
                bare.append(time.perf_counter() - clock)
                clock = time.perf_counter()
                decode_with_limit(decoder, print_.path, seconds=60, preload=decoders, **kwargs)
                isolated.append(time.perf_counter() - clock)
            rows.append({"input": label, "decoder": decoder.name, "audio_seconds": round(audio.duration, 1),
                         "samples_mb": round(audio.samples.nbytes / 1e6, 1),
                         "bare_s": round(statistics.median(bare), 4),
                         "isolated_s": round(statistics.median(isolated), 4)})
    print(f"first isolated decode (imports the decoder libraries once): {first_fork:.3f} s")
    print(f"{'input':<8} {'decoder':<10} {'audio':>7} {'samples':>8} {'bare':>8} {'isolated':>9} {'ratio':>6} {'added':>7}")
    for row in rows:
        ratio = row["isolated_s"] / row["bare_s"]
        added = row["isolated_s"] - row["bare_s"]
        print(f"{row['input']:<8} {row['decoder']:<10} {row['audio_seconds']:>6.1f}s {row['samples_mb']:>6.1f}MB "
              f"{row['bare_s']:>7.3f}s {row['isolated_s']:>8.3f}s {ratio:>5.2f}× {added * 1000:>5.0f}ms")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "decode_isolation.json").write_text(json.dumps(
        {"first_decode_s": round(first_fork, 4), "rows": rows, "repeat": args.repeat, "load": load}, indent=2))


if __name__ == "__main__":
    main()
