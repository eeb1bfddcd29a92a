"""How well the whisper stage names a call's language with no hint, on espeak-ng speech in eight
languages (single sentences and 40-100 s two-voice calls, speeds 130-175, some through an 8 kHz
mu-law line) and on the synthetic English support call (16 kHz and telephone), comparing in the
same run the current detector with two alternatives:

- current:  the product's method: the first 30 s of VAD speech packed into one window, one
            encoder pass of the embedded base, its most likely language token
- rescore:  when the current detector's top probability is below --threshold, decode the same
            window (greedy, no timestamps) forced into each of its --top likeliest languages and
            keep the one whose text has the best mean log-probability, leaving out texts that
            loop (compression ratio above 2.4, as faster-whisper's own fallback test)
- regions:  when not confident, one encoder pass per VAD region (up to --regions of them) and
            the language with the highest mean log-probability over those passes

    .venv/bin/python bench/language_detection.py --sentences 6 --calls 2

Prints accuracy per language and kind, the mean detection time per clip of each method and its
ratio to the current one. Figures also go to bench/results/language_detection.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from language_clips import RATE, SENTENCES, Clip, clips, telephone  # noqa: E402

LOOPING = 2.4  # compression ratio above which a decoded text is a loop, not a reading


def english_calls() -> list[Clip]:
    from hearflow import resample
    from hearflow.media.synth import build_call

    call = build_call()
    audio = resample(call.mono, call.rate, RATE)
    return [Clip("en", "synthetic call", False, audio), Clip("en", "synthetic call", True, telephone(audio))]


class Methods:
    def __init__(self, model, args):
        from faster_whisper.tokenizer import Tokenizer

        self.model, self.args = model, args
        self.tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="en")

    def encode(self, speech: np.ndarray):
        from faster_whisper.audio import pad_or_trim

        return self.model.encode(pad_or_trim(self.model.feature_extractor(speech[: 30 * RATE])))

    def distribution(self, encoded) -> list[tuple[str, float]]:
        return [(token[2:-2], p) for token, p in self.model.model.detect_language(encoded)[0]]

    def current(self, speech):
        from hearflow_whisper.detection import detect_language

        return detect_language(self.model, speech)[0]

    def rescore(self, speech):
        import ctranslate2

        encoded = self.encode(speech)
        ranked = self.distribution(encoded)
        if ranked[0][1] >= self.args.threshold:
            return ranked[0][0]
        candidates = [language for language, _ in ranked[: self.args.top]]
        t = self.tokenizer
        prompts = [[t.sot, t.tokenizer.token_to_id(f"<|{language}|>"), t.transcribe, t.no_timestamps]
                   for language in candidates]
        batch = ctranslate2.StorageView.from_array(np.repeat(np.array(encoded), len(candidates), axis=0))
        results = self.model.model.generate(batch, prompts, beam_size=1, return_scores=True, max_length=224)
        best, best_score = ranked[0][0], -np.inf
        for language, result in zip(candidates, results):
            text = t.decode(result.sequences_ids[0]).encode()
            if text and len(text) / len(zlib.compress(text)) > LOOPING:
                continue
            if result.scores[0] > best_score:
                best, best_score = language, result.scores[0]
        return best

    def regions(self, speech, regions):
        ranked = self.distribution(self.encode(speech))
        if ranked[0][1] >= self.args.threshold or len(regions) < 2:
            return ranked[0][0]
        total: dict[str, float] = {}
        for region in regions[: self.args.regions]:
            for language, p in self.distribution(self.encode(region)):
                total[language] = total.get(language, 0.0) + np.log(max(p, 1e-6))
        return max(total, key=total.get)


def vad_regions(audio: np.ndarray) -> list[np.ndarray]:
    from faster_whisper.vad import get_speech_timestamps

    return [audio[r["start"]: r["end"]] for r in get_speech_timestamps(audio[: 60 * RATE])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=6, help="single sentences per language")
    parser.add_argument("--calls", type=int, default=2, help="call-like clips per language")
    parser.add_argument("--threshold", type=float, default=0.5, help="top probability that skips the extra work")
    parser.add_argument("--top", type=int, default=5, help="languages rescored by decoding")
    parser.add_argument("--regions", type=int, default=4, help="VAD regions heard one by one")
    parser.add_argument("--languages", default=",".join(SENTENCES))
    args = parser.parse_args()

    from hearflow_whisper import WhisperAsr
    from hearflow_whisper.detection import first_speech

    made = [c for language in args.languages.split(",") for c in clips(language, sentences=args.sentences,
                                                                       calls=args.calls)]
    made += english_calls()
    model = WhisperAsr().load("base")
    methods = Methods(model, args)
    methods.current(np.zeros(RATE, dtype=np.float32))  # first pass warms the model up, outside the timing
    names = ("current", "rescore", "regions")
    rows = []
    for clip in made:
        speech = first_speech([(0.0, clip.audio)], RATE, vad=True)
        parts = vad_regions(clip.audio)
        row = {"language": clip.language, "kind": clip.kind, "telephone": clip.telephone,
               "seconds": round(clip.seconds, 1)}
        for name in names:
            started = time.process_time()
            named = methods.regions(speech, parts) if name == "regions" else getattr(methods, name)(speech)
            row[name], row[name + "_cpu"] = named, time.process_time() - started
        rows.append(row)
        print(f"{clip.language} {clip.kind:<14} {'8k' if clip.telephone else '  '} {clip.seconds:5.1f}s  "
              + "  ".join(f"{n}:{row[n]}" for n in names), flush=True)

    print(f"\n{'language':<8} {'kind':<15} {'clips':>5} " + " ".join(f"{n:>8}" for n in names))
    groups = sorted({(r["language"], r["kind"]) for r in rows}, key=lambda g: (g[0] != "hi", g))
    for language, kind in groups:
        group = [r for r in rows if (r["language"], r["kind"]) == (language, kind)]
        print(f"{language:<8} {kind:<15} {len(group):>5} "
              + " ".join(f"{sum(r[n] == language for r in group):>8}" for n in names))
    print(f"{'all':<24} {len(rows):>5} " + " ".join(f"{sum(r[n] == r['language'] for r in rows):>8}" for n in names))
    base_cpu = np.mean([r["current_cpu"] for r in rows])
    print("mean CPU s per clip " + " ".join(f"{n}:{np.mean([r[n + '_cpu'] for r in rows]):.2f}" for n in names))
    print("ratio to current    " + " ".join(f"{n}:{np.mean([r[n + '_cpu'] for r in rows]) / base_cpu:.2f}"
                                            for n in names))
    english = [r for r in rows if r["language"] == "en"]
    print("English clips, ratio to current " + " ".join(
        f"{n}:{np.mean([r[n + '_cpu'] for r in english]) / np.mean([r['current_cpu'] for r in english]):.2f}"
        for n in names))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "language_detection.json").write_text(json.dumps({"args": vars(args), "clips": rows}, indent=2))


if __name__ == "__main__":
    main()
