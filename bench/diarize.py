"""How well and how fast do the diarizers work, side by side, and what do they add to ASR?

Recordings (every one with reference turns):

* ``ami``: the twelve 30 s AMI meeting clips of the pyannote.audio sdist's ``debug.train.lst`` and
  ``debug.development.lst`` (one to four speakers, often talking over each other);
* ``pyannote_sample``: pyannote.audio's 30 s telephone sample (two speakers);
* ``synthetic``: the espeak-ng calls of ``tests/diarize_fixtures.py`` (turns known exactly);
* ``--long MINUTES``: one long espeak-ng call with three voices, for cost and peak memory.

For each diarizer (``--diarizer``, repeatable; default ``overlap`` and ``embedded``) it prints per
recording: DER (collar 0.25 s, overlap scored) of the diarizer's own turns, overlapped ones where
it has them; speakers found against the reference without a hint; wall time and its ratio to
faster-whisper tiny.en's on the same audio (models loaded beforehand). Then, per corpus, the pooled
DER (total error over total reference speech) and how many speaker counts were right.

Run: ``.venv/bin/python bench/diarize.py [--diarizer overlap --diarizer embedded] [--long 30]``.
A backend in another venv runs from it: ``.venv-nemo/bin/python bench/diarize.py --diarizer nemo
--option model=speaker.nemo``. Writes ``bench/results/diarize.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the shared call scripts and scoring helpers


def recordings(directory: Path, long_minutes: float) -> dict[str, dict[str, tuple]]:
    """corpus → name → (mono samples, rate, reference turns)."""
    import soundfile

    from diarize_fixtures import BACKCHANNEL_CALL, THREE_PARTY_CALL, rttm_turns
    from hearflow.media.synth import SUPPORT_CALL, build_call
    from media import ami_clips, pyannote_sample

    def read(path):
        samples, rate = soundfile.read(path, dtype="float32")
        return samples, rate

    corpora: dict[str, dict[str, tuple]] = {"ami": {}, "pyannote_sample": {}, "synthetic": {}}
    for uri, (wav, turns) in ami_clips(directory).items():
        corpora["ami"][uri] = (*read(wav), turns)
    sample = pyannote_sample(directory)
    corpora["pyannote_sample"]["sample"] = (*read(sample["sample.wav"]), rttm_turns(sample["sample.rttm"]))
    for name, script in (("support", SUPPORT_CALL), ("backchannel", BACKCHANNEL_CALL),
                         ("three_party", THREE_PARTY_CALL)):
        call = build_call(script)
        corpora["synthetic"][name] = (call.mono, call.rate, list(call.turns))
    if long_minutes:
        corpora["long"] = {f"three_party_{long_minutes:g}min": long_call(long_minutes)}
    return corpora


def long_call(minutes: float) -> tuple:
    """A call of about ``minutes`` with three voices: the three-party script's lines, shuffled
    into a new order each round so the turn order is no pattern."""
    import random

    from diarize_fixtures import THREE_PARTY_CALL
    from hearflow.media.synth import build_call

    shuffle = random.Random(7)
    lines = []
    call = build_call(THREE_PARTY_CALL)
    rounds = max(1, int(round(minutes * 60 / (len(call.mono) / call.rate))))
    for _ in range(rounds):
        block = list(THREE_PARTY_CALL)
        shuffle.shuffle(block)
        lines.extend(block)
    call = build_call(tuple(lines))
    return call.mono, call.rate, list(call.turns)


def views(diarizer, samples, rate):
    """The diarizer's turns: its overlapped view where it has one, else the exclusive one."""
    exclusive, overlapped = diarizer.diarize_views(samples, rate)
    return overlapped or exclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diarizer", action="append", help="separator name (see `hearflow plugins`); repeatable")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="an option for every diarizer named, e.g. step=2.0 (repeatable)")
    parser.add_argument("--long", type=float, default=0, metavar="MINUTES", help="also time a long three-voice call")
    parser.add_argument("--no-asr", action="store_true", help="skip the tiny.en timings")
    args = parser.parse_args()
    from hearflow.settings import parse_pairs

    options = parse_pairs(args.option, flag="--option")
    names = args.diarizer or ["overlap", "embedded"]

    from hearflow.plugins.manager import build_registry

    registry = build_registry()
    diarizers = {name: registry.get("separator", name)(options if args.diarizer else {}) for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        corpora = recordings(Path(tmp), args.long)
    warm = corpora["pyannote_sample"]["sample"]
    for diarizer in diarizers.values():  # load and export the models outside the timings
        diarizer.diarize_views(warm[0][: warm[1] * 12], warm[1])
    asr = None
    if not args.no_asr:
        from hearflow_whisper import WhisperAsr

        asr = WhisperAsr({"model": "tiny.en"})  # "tiny.en's ASR time", without language detection
        asr.transcribe(warm[0][: warm[1] * 2], warm[1])

    rows, pooled = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyannote.metrics: no UEM given
        for corpus, calls in corpora.items():
            for name, (samples, rate, reference) in calls.items():
                duration = len(samples) / rate
                asr_time = None
                if asr is not None:
                    start = time.perf_counter()
                    asr.transcribe(samples, rate)
                    asr_time = time.perf_counter() - start
                for label, diarizer in diarizers.items():
                    start = time.perf_counter()
                    turns = views(diarizer, samples, rate)
                    spent = time.perf_counter() - start
                    rows.append(score_row(corpus, name, label, duration, reference, turns, spent, asr_time))
                    print_row(rows[-1])
        for corpus in corpora:
            for label in diarizers:
                mine = [r for r in rows if r["corpus"] == corpus and r["diarizer"] == label]
                pooled.append({
                    "corpus": corpus, "diarizer": label, "clips": len(mine),
                    "pooled_der": round(sum(r["error_s"] for r in mine) / sum(r["reference_s"] for r in mine), 4),
                    "speaker_count_right": sum(r["speakers_found"] == r["speakers_ref"] for r in mine),
                    "diarize_s": round(sum(r["diarize_s"] for r in mine), 2),
                    "diarize_over_asr": (round(sum(r["diarize_s"] for r in mine) / sum(r["asr_s"] for r in mine), 4)
                                         if asr is not None else None),
                })
    print()
    header = ("corpus", "diarizer", "clips", "pooled_der", "speaker_count_right", "diarize_s", "diarize_over_asr")
    print("  ".join(f"{h:>19}" for h in header))
    for row in pooled:
        print("  ".join(f"{row[h]!s:>19}" for h in header))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB")
    out = ROOT / "bench" / "results" / "diarize.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "collar": 0.25, "options": {label: d.options.model_dump(mode="json") for label, d in diarizers.items()},
        "pooled": pooled, "calls": rows, "peak_rss_mb": round(peak_mb),
    }, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


def score_row(corpus, name, label, duration, reference, turns, spent, asr_time) -> dict:
    from pyannote.metrics.diarization import DiarizationErrorRate

    from diarize_fixtures import annotation

    metric = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    details = metric(annotation(reference), annotation(turns), detailed=True)
    error = details["confusion"] + details["missed detection"] + details["false alarm"]
    return {
        "corpus": corpus, "call": name, "diarizer": label, "audio_s": round(duration, 2),
        "speakers_ref": len({t.speaker for t in reference}), "speakers_found": len({t.speaker for t in turns}),
        "der": round(error / max(details["total"], 1e-9), 4),
        "error_s": error, "reference_s": details["total"],
        "diarize_s": round(spent, 3), "asr_s": round(asr_time, 3) if asr_time is not None else None,
        "diarize_over_asr": round(spent / asr_time, 4) if asr_time else None,
    }


def print_row(row: dict) -> None:
    header = ("corpus", "call", "diarizer", "audio_s", "speakers_ref", "speakers_found", "der", "diarize_s",
              "asr_s", "diarize_over_asr")
    if not getattr(print_row, "started", False):
        print("  ".join(f"{h:>15}" for h in header))
        print_row.started = True
    print("  ".join(f"{row[h]!s:>15}" for h in header), flush=True)


if __name__ == "__main__":
    main()
