"""Speaker embeddings from resemblyzer's bundled VoiceEncoder (a d-vector LSTM, 16 kHz input)."""

from __future__ import annotations

import functools
import os
import threading
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

FRAMES_PER_SECOND = 100  # the encoder's mel frames are 10 ms apart
# Below this a window says little about the voice; it is tiled up to it so the LSTM sees a
# steady stretch of the voice instead of a fragment (helps "uh huh", "okay").
MIN_FRAMES = 80
EMBEDDING_SIZE = 256

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
    """One L2-normalised embedding per (start, end) window."""
    slices = [_window_frames(mels, start, end) for start, end in windows]
    session = _onnx_encoder()
    return _onnx_embeddings(session, slices) if session is not None else _torch_embeddings(slices)


def _window_frames(mels: np.ndarray, start: float, end: float) -> np.ndarray:
    first = int(round(start * FRAMES_PER_SECOND))
    last = max(first + 1, min(len(mels), int(round(end * FRAMES_PER_SECOND))))
    piece = mels[first:last]
    if len(piece) < MIN_FRAMES:
        piece = np.tile(piece, (int(np.ceil(MIN_FRAMES / len(piece))), 1))[:MIN_FRAMES]
    return np.ascontiguousarray(piece, dtype=np.float32)


def _onnx_embeddings(session, slices: list[np.ndarray]) -> np.ndarray:
    """Windows of equal length share a batch (most are full-length, so there are few batches)."""
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, piece in enumerate(slices):
        by_length[len(piece)].append(index)
    out = np.zeros((len(slices), EMBEDDING_SIZE), dtype=np.float32)
    for indices in by_length.values():
        (out[indices],) = session.run(None, {"mels": np.stack([slices[i] for i in indices])})
    return out


def _torch_embeddings(slices: list[np.ndarray]) -> np.ndarray:
    """VoiceEncoder.forward on a packed batch: each window's embedding comes from its own last
    frame, as if it ran alone, in one LSTM pass."""
    import torch
    from torch.nn.utils.rnn import pack_sequence

    encoder = _load_encoder()
    with _LOCK, torch.inference_mode():
        _, (hidden, _) = encoder.lstm(pack_sequence([torch.from_numpy(p) for p in slices], enforce_sorted=False))
        raw = encoder.relu(encoder.linear(hidden[-1]))
        return (raw / torch.norm(raw, dim=1, keepdim=True)).numpy()


@functools.lru_cache(maxsize=1)
def _onnx_encoder():
    """The encoder exported to ONNX once and kept under $HEARFLOW_HOME/models: ONNX Runtime runs
    its LSTM about three times faster than torch does on a CPU. None when it cannot be exported
    (no ``onnx`` package, or a torch without the exporter): torch then does the work."""
    from importlib.metadata import version

    from hearflow import home

    path = home() / "models" / f"voice-encoder-{version('resemblyzer')}.onnx"
    try:
        import onnxruntime

        if not path.exists():
            _export_encoder(path)
        return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # an export or load failure must never stop a diarization
        warnings.warn(f"speaker encoder runs on torch, not ONNX Runtime ({type(exc).__name__}: {exc})")
        return None


def _export_encoder(path: Path) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent exports never see half a file
    example = torch.zeros(2, 160, 40)
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter warns about LSTM batch sizes and its own deprecation
        torch.onnx.export(_load_encoder(), (example,), str(partial), input_names=["mels"], output_names=["embedding"],
                          dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}}, dynamo=False)
    partial.replace(path)
