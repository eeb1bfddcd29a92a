"""Choosing how to separate speakers: channel split for true stereo, the diarizer otherwise."""

from __future__ import annotations

import numpy as np

from hearflow.models import Audio

SILENT_RMS = 10 ** (-55 / 20)  # a channel quieter than -55 dBFS carries no party
IDENTICAL_CORRELATION = 0.95  # channels this alike are one mix copied twice


def fake_stereo_reason(audio: Audio) -> str | None:
    """Why a multi-channel recording should not be split per channel, or None if it should."""
    rms = np.sqrt(np.mean(np.square(audio.samples, dtype=np.float64), axis=1))
    silent = [index + 1 for index, level in enumerate(rms) if level < SILENT_RMS]
    if len(silent) >= audio.channels - 1:
        return f"channel(s) {', '.join(map(str, silent))} silent, so only one party is on the recording"
    for first in range(audio.channels):
        for second in range(first + 1, audio.channels):
            if _correlation(audio.samples[first], audio.samples[second]) > IDENTICAL_CORRELATION:
                return (f"channels {first + 1} and {second + 1} are (near) identical: "
                        "the recording is mono saved as stereo")
    return None


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64) - a.mean()
    b = b.astype(np.float64) - b.mean()
    denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / denominator) if denominator > 0 else 1.0
