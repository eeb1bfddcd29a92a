"""Scoring a run against references: diarization error rate (pyannote.metrics) and word error
rate (jiwer). Used by ``hearflow eval`` and by the accuracy tests and benchmarks."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

from hearflow.models import CallResult, Turn
from hearflow.text import DIGIT_WORDS
from hearflow.evaluation.rttm import read_rttm

DEFAULT_COLLAR = 0.25  # seconds forgiven around each reference boundary, as is usual for DER


def annotation(turns: Iterable[Turn]):
    from pyannote.core import Annotation, Segment

    result = Annotation()
    for index, turn in enumerate(turns):
        result[Segment(turn.start, turn.end), index] = turn.speaker
    return result


def rttm_turns(path: str | Path) -> list[Turn]:
    """The turns of a one-recording RTTM file."""
    return [Turn(start=start, end=end, speaker=label) for start, end, label in read_rttm(path)]


def result_turns(result: CallResult) -> list[Turn]:
    """What a stored call says about who spoke when: the diarizer's turns (overlap included) when
    it has them, as its RTTM output does; else its segments (a channel split, no diarization)."""
    if result.turns:
        return list(result.turns)
    return [Turn(start=s.start, end=s.end, speaker=s.speaker or "SPEAKER_1") for s in result.segments]


def der(reference: Iterable[Turn], hypothesis: Iterable[Turn], collar: float = DEFAULT_COLLAR) -> float:
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    with warnings.catch_warnings():  # no UEM given: the union of both extents is scored, as intended
        warnings.simplefilter("ignore", UserWarning)
        return float(metric(annotation(reference), annotation(hypothesis)))


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, apostrophes kept, digits spelled out one by one: what WER
    should compare. A recogniser writes an order number read out digit by digit as "4-5-6-7-8",
    "4.5.6. 7.8." or "four five six seven eight" depending on the decoding; all are the same five
    spoken words. (A number said as "forty-five" still differs from "45".)"""
    text = re.sub(r"[^a-z0-9' ]+", " ", text.lower())
    text = re.sub(r"[0-9]", lambda digit: f" {DIGIT_WORDS[int(digit.group())]} ", text)
    return re.sub(r"\s+", " ", text).strip()


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def reference_text(path: str | Path) -> str:
    """Plain text, or the words of an STM file (``file channel speaker start end text``)."""
    lines = Path(path).read_text().splitlines()
    if path and str(path).lower().endswith(".stm"):
        return " ".join(line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6
                        and not line.startswith(";;"))
    return " ".join(lines)
