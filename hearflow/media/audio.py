"""Small signal helpers shared by stages."""

from __future__ import annotations

import math

import numpy as np

STAGE_RATE = 16_000  # what every built-in stage works at (Whisper, the diarizers' networks, VAD)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample one mono track to ``target`` Hz (soxr, high quality). At the same rate, the
    track itself (no copy when it is already contiguous float32)."""
    if rate == target:
        return np.ascontiguousarray(samples, dtype=np.float32)
    import soxr  # soxr alone: librosa's resampler is the same soxr call behind ~200 MB of imports

    resampled = soxr.resample(np.asarray(samples, dtype=np.float32), rate, target, quality="HQ")
    # ceil(n × target / rate) samples, as librosa's soxr_hq gives: the tracks' lengths stay as before
    length = math.ceil(len(samples) * target / rate)
    if len(resampled) < length:
        resampled = np.pad(resampled, (0, length - len(resampled)))
    return resampled[:length]


class StreamResampler:
    """One channel resampled block by block; the blocks joined equal ``resample`` of the whole
    track, sample for sample (soxr keeps its filter state between blocks)."""

    def __init__(self, rate: int, target: int):
        self.passthrough = rate == target
        if not self.passthrough:
            import soxr

            self.stream = soxr.ResampleStream(rate, target, 1, dtype="float32", quality="HQ")

    def __call__(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        return block if self.passthrough else self.stream.resample_chunk(block, last=last)
