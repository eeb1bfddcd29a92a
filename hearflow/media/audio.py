"""Small signal helpers shared by stages."""

from __future__ import annotations

import math

import numpy as np


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample one mono track to ``target`` Hz with soxr's high-quality filter, padded or cut to
    ``ceil(len × target / rate)`` samples (the result librosa's ``soxr_hq`` gives, without the
    seconds that importing librosa's audio module costs)."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if rate == target:
        return samples
    import soxr

    resampled = soxr.resample(samples, rate, target, quality="soxr_hq")
    length = math.ceil(len(samples) * target / rate)
    if len(resampled) < length:
        resampled = np.pad(resampled, (0, length - len(resampled)))
    return np.asarray(resampled[:length], dtype=np.float32)
