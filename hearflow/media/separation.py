"""Choosing how to separate speakers: channel split for true stereo, the diarizer otherwise."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np

from hearflow.models import Audio, Turn

SILENT_RMS = 10 ** (-55 / 20)  # a channel quieter than -55 dBFS carries no party
IDENTICAL_CORRELATION = 0.95  # channels this alike are one mix copied twice


def fake_stereo_reason(audio: Audio) -> str | None:
    """Why a multi-channel recording should not be split per channel, or None if it should."""
    rms = [np.sqrt(_blockwise_dot(row, row, 0.0, 0.0) / max(len(row), 1)) for row in audio.samples]
    silent = [index + 1 for index, level in enumerate(rms) if level < SILENT_RMS]
    if len(silent) >= audio.channels - 1:
        return f"channel(s) {', '.join(map(str, silent))} silent, so only one party is on the recording"
    for first in range(audio.channels):
        for second in range(first + 1, audio.channels):
            if _correlation(audio.samples[first], audio.samples[second]) > IDENTICAL_CORRELATION:
                return (f"channels {first + 1} and {second + 1} are (near) identical: "
                        "the recording is mono saved as stereo")
    return None


BLOCK = 1 << 20  # samples: float64 arithmetic a block at a time, never a float64 copy of a channel


def _blockwise_dot(a: np.ndarray, b: np.ndarray, mean_a: float, mean_b: float) -> float:
    """``sum((a - mean_a) * (b - mean_b))`` in float64."""
    total = 0.0
    for start in range(0, len(a), BLOCK):
        x = a[start:start + BLOCK].astype(np.float64) - mean_a
        y = x if b is a and mean_b == mean_a else b[start:start + BLOCK].astype(np.float64) - mean_b
        total += float(np.dot(x, y))
    return total


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    mean_a, mean_b = float(a.mean(dtype=np.float64)), float(b.mean(dtype=np.float64))
    denominator = np.sqrt(_blockwise_dot(a, a, mean_a, mean_a) * _blockwise_dot(b, b, mean_b, mean_b))
    return float(_blockwise_dot(a, b, mean_a, mean_b) / denominator) if denominator > 0 else 1.0


def first_speech_names(pieces: Iterable[tuple[float, float, Hashable]]) -> dict[Hashable, str]:
    """A diarizer's own labels → ``SPEAKER_1…``, numbered in order of first speech."""
    names: dict[Hashable, str] = {}
    for _, _, label in sorted(pieces, key=lambda piece: (piece[0], piece[1])):
        names.setdefault(label, f"SPEAKER_{len(names) + 1}")
    return names


def named_turns(pieces: Iterable[tuple[float, float, Hashable]],
                names: dict[Hashable, str] | None = None) -> list[Turn]:
    """(start, end, label) pieces as time-ordered turns, speakers named by first speech unless
    ``names`` is given (so two views of one diarization share their names)."""
    pieces = sorted(pieces, key=lambda piece: (piece[0], piece[1]))
    names = names or first_speech_names(pieces)
    return [Turn(start=round(start, 3), end=round(end, 3), speaker=names[label]) for start, end, label in pieces]
