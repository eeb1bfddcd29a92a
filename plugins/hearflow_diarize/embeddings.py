"""Speaker embeddings from resemblyzer's bundled VoiceEncoder (a d-vector LSTM, 16 kHz input)."""

from __future__ import annotations

import functools
import threading
import warnings

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
    """One L2-normalised embedding per (start, end) window, all windows in one LSTM pass.

    Windows differ in length (a short reply is one short window), so they go in as a packed
    batch: each window's embedding comes from its own last frame, as if it ran alone, and no
    window waits for a batch of its own.
    """
    import torch
    from torch.nn.utils.rnn import pack_sequence

    slices = []
    for start, end in windows:
        first = int(round(start * FRAMES_PER_SECOND))
        last = max(first + 1, min(len(mels), int(round(end * FRAMES_PER_SECOND))))
        piece = mels[first:last]
        if len(piece) < MIN_FRAMES:
            piece = np.tile(piece, (int(np.ceil(MIN_FRAMES / len(piece))), 1))[:MIN_FRAMES]
        slices.append(torch.from_numpy(np.ascontiguousarray(piece)))
    encoder = _load_encoder()
    with _LOCK, torch.inference_mode():
        # VoiceEncoder.forward, with a packed batch: last layer's final state → ReLU(linear) → unit length.
        _, (hidden, _) = encoder.lstm(pack_sequence(slices, enforce_sorted=False))
        raw = encoder.relu(encoder.linear(hidden[-1]))
        return (raw / torch.norm(raw, dim=1, keepdim=True)).numpy()
