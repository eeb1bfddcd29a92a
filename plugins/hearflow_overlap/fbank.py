"""CAM++'s input features: the log mel filterbank Kaldi computes, in numpy (so a diarization whose
networks run on ONNX Runtime never imports torch)."""

from __future__ import annotations

import functools
import math

import numpy as np

RATE = 16000
LENGTH, SHIFT, FFT = 400, 160, 512  # samples: 25 ms windows every 10 ms, zero-padded to 512


def kaldi_fbank(samples: np.ndarray, mel_bins: int = 80) -> np.ndarray:
    """Log mel filterbank as Kaldi computes it (25 ms Povey windows every 10 ms, pre-emphasis
    0.97, DC removed, power spectrum, 20 Hz to Nyquist), the features CAM++ was trained on.
    (frames, mel_bins), float32; fewer than 400 samples give no frames."""
    count = 1 + (len(samples) - LENGTH) // SHIFT if len(samples) >= LENGTH else 0
    if count == 0:
        return np.zeros((0, mel_bins), dtype=np.float32)
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    strides = (samples.strides[0] * SHIFT, samples.strides[0])
    frames = np.lib.stride_tricks.as_strided(samples, shape=(count, LENGTH), strides=strides).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= 0.97 * frames[:, :-1].copy()
    frames[:, 0] *= 1 - 0.97
    frames *= _povey_window(LENGTH)
    spectrum = np.fft.rfft(frames, n=FFT)[:, : FFT // 2]
    power = spectrum.real ** 2 + spectrum.imag ** 2
    energies = _mel_energies(power, mel_bins)
    return np.log(np.maximum(energies, np.finfo(np.float32).eps)).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _povey_window(length: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * math.pi * np.arange(length) / (length - 1))) ** 0.85


def _mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)


def _mel_energies(power: np.ndarray, bins: int) -> np.ndarray:
    """(frames, bins) sums of ``power`` under triangles evenly spaced on the mel scale.

    The triangles overlap by halves, so every FFT bin lies under the rising edge of one triangle
    and the falling edge of the one before, with weights that add to one. Summing each edge's
    share per stretch between triangle edges (cumulative sums, read at the stretches' bounds) takes
    a few passes over the spectrum, where a dense (256, 80) product would mostly multiply zeros
    and hand the work to a BLAS that may spin threads on busy cores."""
    bounds, rising = _mel_layout(bins, power.shape[1])
    share = np.zeros((len(power), power.shape[1] + 1))
    np.cumsum(power * rising, axis=1, out=share[:, 1:])
    under_rising = share[:, bounds[1:]] - share[:, bounds[:-1]]
    np.cumsum(power, axis=1, out=share[:, 1:])
    under_falling = share[:, bounds[1:]] - share[:, bounds[:-1]] - under_rising
    # triangle k rises over stretch k and falls over stretch k + 1
    return under_rising[:, :bins] + under_falling[:, 1: bins + 1]


@functools.lru_cache(maxsize=4)
def _mel_layout(bins: int, fft_bins: int, rate: int = RATE, low: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """The FFT bin where each stretch between triangle edges starts (``bins + 2`` edges, so
    ``bins + 1`` stretches; bins below the lowest edge fall in none), and each bin's weight
    under the rising edge of its stretch's triangle (zero outside every stretch)."""
    edges = np.linspace(_mel(low), _mel(rate / 2), bins + 2)
    bin_mels = _mel(np.arange(fft_bins) * rate / (2 * fft_bins))
    stretch = np.floor((bin_mels - edges[0]) / (edges[1] - edges[0])).astype(int)
    bounds = np.searchsorted(stretch, np.arange(bins + 2))
    rising = np.where((stretch >= 0) & (stretch <= bins), (bin_mels - edges[np.clip(stretch, 0, bins + 1)])
                      / (edges[1] - edges[0]), 0.0)
    return bounds, rising
