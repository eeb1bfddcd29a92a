"""What batched decoding does to accuracy and cost, against sequential decoding, in one run.

hearflow's whisper stage decodes a track sequentially by default; ``batch_size`` > 1 decodes it
through faster-whisper's ``BatchedInferencePipeline``. This runs the stage itself (embedded
tiny.en, English, the product's other defaults) each way on:

* ``synthetic``: espeak-ng support calls of about 2 minutes (mono mix, the script known exactly);
* ``sample``: pyannote.audio's 30 s telephone recording (real speech; its STM is the reference);
* ``silence``, ``noise``, ``tone``, ``music``: a minute each, where every word is a hallucination.

Per way: pooled WER over the synthetic calls, the sample's WER, words found against the
reference's, words on the four non-speech minutes, and the CPU seconds (all threads) of the
speech files with the ratio to sequential. The model loads before anything is timed.

Run from the repository root: ``.venv/bin/python bench/batched_decoding.py [--calls 4]
[--way NAME=JSON]``; figures also go to bench/results/batched_decoding.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the pyannote sample and the non-speech minutes
RESULTS = ROOT / "bench" / "results" / "batched_decoding.json"

WAYS = {"sequential": {}, "batched-8": {"batch_size": 8}}


def synthetic_calls(count: int) -> list[tuple[np.ndarray, int, str]]:
    from hearflow.media.synth import SUPPORT_CALL, build_call

    calls = []
    for index in range(count):
        script, turn = [], index
        while True:  # rotate the script so the calls differ, as speed.py's archive does
            script += SUPPORT_CALL[turn % 8:] + SUPPORT_CALL[: turn % 8]
            call = build_call(tuple(script), gap=0.6)
            if call.duration >= 120:
                break
            turn += 1
        calls.append((call.mono, call.rate, call.text_of()))
    return calls


def words_of(transcript) -> list[str]:
    return [w.text for s in transcript.segments for w in s.words]


def measure(options: dict, speech, sample, quiet) -> dict:
    from hearflow.evaluation.scoring import normalise, wer
    from hearflow_whisper.backend import WhisperAsr

    asr = WhisperAsr({"language": "en", **options})
    asr.prepare()  # the model loads untimed
    cpu, wall = time.process_time(), time.perf_counter()
    hypotheses = [" ".join(words_of(asr.transcribe(samples, rate))) for samples, rate, _ in speech]
    sample_text = " ".join(words_of(asr.transcribe(*sample[:2])))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    reference = " ".join(text for _, _, text in speech)
    return {
        "synthetic_wer": round(wer(reference, " ".join(hypotheses)), 4),
        "synthetic_words": sum(len(normalise(h).split()) for h in hypotheses),
        "reference_words": len(normalise(reference).split()),
        "sample_wer": round(wer(sample[2], sample_text), 4),
        "nonspeech_words": {kind: len(words_of(asr.transcribe(samples, 16000))) for kind, samples in quiet.items()},
        "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=4, help="synthetic 2-minute calls (default 4)")
    parser.add_argument("--way", action="append", default=[], metavar="NAME=JSON",
                        help='another set of stage options, e.g. batched-4={"batch_size": 4}; repeatable')
    args = parser.parse_args()
    ways = dict(WAYS)
    for way in args.way:
        name, options = way.split("=", 1)
        ways[name] = json.loads(options)

    import soundfile

    from hearflow.evaluation.scoring import reference_text
    from media import pyannote_sample
    from test_transcribe import _sixty_seconds

    speech = synthetic_calls(args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        files = pyannote_sample(Path(tmp))
        samples, rate = soundfile.read(files["sample.wav"], dtype="float32")
        sample = (samples, rate, reference_text(files["sample.stm"]))
    quiet = {kind: _sixty_seconds(kind) for kind in ("silence", "noise", "tone", "music")}

    rows = {name: measure(options, speech, sample, quiet) for name, options in ways.items()}
    base = rows["sequential"]["cpu_s"]
    for row in rows.values():
        row["cpu_ratio"] = round(row["cpu_s"] / base, 2)
    load = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"load_average": load, "calls": args.calls, "ways": ways, "rows": rows}, indent=2))
    print(f"{args.calls} synthetic calls of about 2 min; load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} on {os.cpu_count()} CPUs")
    for name, row in rows.items():
        print(f"{name:<14} " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
