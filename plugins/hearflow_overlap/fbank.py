"""CAM++'s input features: the log mel filterbank Kaldi computes, in numpy (so a diarization whose
networks run on ONNX Runtime never imports torch)."""

from __future__ import annotations

import math

import numpy as np

RATE = 16000


def kaldi_fbank(samples: np.ndarray, mel_bins: int = 80) -> np.ndarray:
    """Log mel filterbank as Kaldi computes it (25 ms Povey windows every 10 ms, pre-emphasis
    0.97, DC removed, power spectrum, 20 Hz to Nyquist), the features CAM++ was trained on.
    (frames, mel_bins), float32; fewer than 400 samples give no frames."""
    length, shift, fft = 400, 160, 512
    count = 1 + (len(samples) - length) // shift if len(samples) >= length else 0
    if count == 0:
        return np.zeros((0, mel_bins), dtype=np.float32)
    strides = (samples.strides[0] * shift, samples.strides[0])
    frames = np.lib.stride_tricks.as_strided(np.ascontiguousarray(samples, dtype=np.float32),
                                             shape=(count, length), strides=strides).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= 0.97 * frames[:, :-1].copy()
    frames[:, 0] *= 1 - 0.97
    frames *= _povey_window(length)
    power = np.abs(np.fft.rfft(frames, n=fft)) ** 2
    energies = power[:, : fft // 2] @ _mel_banks(mel_bins, fft).T
    return np.log(np.maximum(energies, np.finfo(np.float32).eps)).astype(np.float32)


def _povey_window(length: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * math.pi * np.arange(length) / (length - 1))) ** 0.85


def _mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)


def _mel_banks(bins: int, fft: int, rate: int = RATE, low: float = 20.0) -> np.ndarray:
    """Triangles evenly spaced on the mel scale, evaluated at the FFT bins' frequencies."""
    edges = np.linspace(_mel(low), _mel(rate / 2), bins + 2)
    bin_mels = _mel(np.arange(fft // 2) * rate / fft)
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_mels - left) / (centre - left)
    falling = (right - bin_mels) / (right - centre)
    return np.maximum(0.0, np.minimum(rising, falling))
