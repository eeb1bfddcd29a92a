"""How well and how fast does a diarizer work, and what does it add to ASR?

For the pyannote telephone sample (30 s, two speakers, reference RTTM) and the synthetic calls of
``tests/diarize_fixtures.py`` (turns known exactly), it measures:

* DER with a 0.25 s collar, overlap scored, and the number of speakers found without a hint;
* diarizer wall time and its real-time factor (wall time / audio time), models already loaded;
* faster-whisper's time on the same mono audio (``WhisperAsr().transcribe``, default settings)
  and the ratio diarization / ASR.

Run: ``.venv/bin/python bench/diarize.py [--repeat N]`` for the embedded diarizer. Another
backend runs from the venv that has it, with its model, e.g.
``.venv-nemo/bin/python bench/diarize.py --diarizer nemo --option model=speaker.nemo``. Prints a
table and writes ``bench/results/diarize-NAME.json``; with ``--repeat`` each time is the median.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the shared call scripts and scoring helpers


def timed(work, repeat: int) -> tuple[object, float]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def recordings(directory: Path) -> dict:
    """name → (mono samples, rate, reference turns)."""
    import soundfile

    from diarize_fixtures import BACKCHANNEL_CALL, THREE_PARTY_CALL, rttm_turns
    from hearflow.media.synth import SUPPORT_CALL, build_call
    from media import pyannote_sample

    sample = pyannote_sample(directory)
    samples, rate = soundfile.read(sample["sample.wav"], dtype="float32")
    found = {"pyannote_sample": (samples, rate, rttm_turns(sample["sample.rttm"]))}
    for name, script in (("support", SUPPORT_CALL), ("backchannel", BACKCHANNEL_CALL),
                         ("three_party", THREE_PARTY_CALL)):
        call = build_call(script)
        found[name] = (call.mono, call.rate, list(call.turns))
    return found


def turns_of(diarizer, samples, rate):
    """The exclusive turns a separator gives for one mono recording."""
    from hearflow.models import Audio

    audio = Audio(samples=samples[None, :], sample_rate=rate, sha256="", format="wav", source="bench",
                  size_bytes=samples.nbytes)
    return diarizer.separate(audio).turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--diarizer", default="embedded", help="separator name (see `hearflow plugins`)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option of the diarizer, e.g. hop=1.0 (repeatable)")
    args = parser.parse_args()
    from hearflow.settings import parse_pairs

    options = parse_pairs(args.option, flag="--option")

    from diarize_fixtures import der
    from hearflow.plugins.manager import build_registry
    from hearflow_whisper import WhisperAsr

    diarizer, asr = build_registry().get("separator", args.diarizer)(options), WhisperAsr({"model": "tiny.en"})
    with tempfile.TemporaryDirectory() as tmp:
        calls = recordings(Path(tmp))
    first = next(iter(calls.values()))
    diarize = functools.partial(turns_of, diarizer)
    diarize(first[0], first[1])  # load the models outside the timings
    asr.transcribe(first[0][: first[1] * 2], first[1])

    rows = []
    for name, (samples, rate, reference) in calls.items():
        duration = len(samples) / rate
        turns, diarize_time = timed(lambda: diarize(samples, rate), args.repeat)
        _, asr_time = timed(lambda: asr.transcribe(samples, rate), args.repeat)
        rows.append({
            "call": name, "audio_s": round(duration, 2),
            "speakers_ref": len({t.speaker for t in reference}), "speakers_found": len({t.speaker for t in turns}),
            "der": round(der(reference, turns), 4),
            "diarize_s": round(diarize_time, 3), "diarize_rtf": round(diarize_time / duration, 4),
            "asr_s": round(asr_time, 3), "diarize_over_asr": round(diarize_time / asr_time, 4),
        })

    header = ("call", "audio_s", "speakers_ref", "speakers_found", "der", "diarize_s", "diarize_rtf",
              "asr_s", "diarize_over_asr")
    print("  ".join(f"{h:>16}" for h in header))
    for row in rows:
        print("  ".join(f"{row[h]!s:>16}" for h in header))
    out = ROOT / "bench" / "results" / f"diarize-{args.diarizer}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "diarizer": args.diarizer, "repeat": args.repeat, "collar": 0.25,
        "options": diarizer.options.model_dump(mode="json"), "calls": rows,
    }, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
