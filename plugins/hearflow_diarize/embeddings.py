"""Speaker embeddings from resemblyzer's bundled VoiceEncoder (a d-vector LSTM, 16 kHz input)."""

from __future__ import annotations

import functools
import threading
import warnings
from collections import defaultdict

import numpy as np

FRAMES_PER_SECOND = 100  # the encoder's mel frames are 10 ms apart
# Below this a window says little about the voice; it is tiled up to it so the LSTM sees a
# steady stretch of the voice instead of a fragment (helps "uh huh", "okay").
MIN_FRAMES = 80

_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _import_resemblyzer():
    with warnings.catch_warnings():  # its webrtcvad import warns about pkg_resources on every run
        warnings.simplefilter("ignore", UserWarning)
        import resemblyzer
    return resemblyzer


@functools.lru_cache(maxsize=1)
def _load_encoder():
    return _import_resemblyzer().VoiceEncoder(device="cpu", verbose=False)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """Log-mel frames (n_frames, 40) of the whole call, loudness-normalised the way the encoder
    was trained, so each window is a slice instead of a fresh transform."""
    _import_resemblyzer()
    from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram
    from resemblyzer.hparams import audio_norm_target_dBFS

    wav = normalize_volume(np.asarray(samples, dtype=np.float32), audio_norm_target_dBFS, increase_only=True)
    return wav_to_mel_spectrogram(wav)


def window_embeddings(mels: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    """One L2-normalised embedding per (start, end) window; windows of equal length share a batch."""
    import torch

    slices = []
    for start, end in windows:
        first = int(round(start * FRAMES_PER_SECOND))
        last = max(first + 1, min(len(mels), int(round(end * FRAMES_PER_SECOND))))
        piece = mels[first:last]
        if len(piece) < MIN_FRAMES:
            piece = np.tile(piece, (int(np.ceil(MIN_FRAMES / len(piece))), 1))[:MIN_FRAMES]
        slices.append(piece)
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, piece in enumerate(slices):
        by_length[len(piece)].append(index)
    encoder = _load_encoder()
    out = np.zeros((len(windows), encoder.linear.out_features), dtype=np.float32)
    with _LOCK, torch.inference_mode():
        for indices in by_length.values():
            batch = torch.from_numpy(np.stack([slices[i] for i in indices]))
            out[indices] = encoder(batch).numpy()
    return out
