"""16 kHz slices of a call at any rate, resampled a slice at a time: a long telephone call is
never held twice in memory (once at its own rate, once at 16 kHz)."""

from __future__ import annotations

import numpy as np

from hearflow import resample

RATE = 16000
MARGIN = 0.05  # seconds of context either side, so the resampler's edges fall outside the slice


class Reader:
    def __init__(self, samples: np.ndarray, sample_rate: int):
        self.samples = samples
        self.rate = sample_rate
        self.length = int(round(len(samples) * RATE / sample_rate))

    def __call__(self, start: int, count: int) -> np.ndarray:
        if self.rate == RATE:
            return np.asarray(self.samples[start:start + count], dtype=np.float32)
        margin = int(MARGIN * self.rate)
        first = max(0, int(start * self.rate / RATE) - margin)
        last = min(len(self.samples), int(np.ceil((start + count) * self.rate / RATE)) + margin)
        piece = resample(self.samples[first:last], self.rate, RATE)
        skip = int(round(start - first * RATE / self.rate))
        return piece[skip:skip + count]
