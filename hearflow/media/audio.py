"""Small signal helpers shared by stages."""

from __future__ import annotations

import numpy as np


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample one mono track to ``target`` Hz (soxr through librosa)."""
    if rate == target:
        return np.ascontiguousarray(samples, dtype=np.float32)
    import librosa  # heavy: imported only when a track needs it

    return librosa.resample(np.asarray(samples, dtype=np.float32), orig_sr=rate, target_sr=target,
                            res_type="soxr_hq").astype(np.float32, copy=False)
