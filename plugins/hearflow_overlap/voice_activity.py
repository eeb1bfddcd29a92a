"""Per-frame speech probabilities from the Silero VAD's sequence export, run on ONNX Runtime
alone. The ``silero-vad`` package's own helpers import torch, which a diarization on ONNX Runtime
otherwise never loads (seconds on every one-off call); only its model file is read here.

The export takes a block of 32 ms frames, each preceded by the last 4 ms of the frame before it,
and carries its recurrent state from block to block.
"""

from __future__ import annotations

import functools

import numpy as np

FRAME = 512  # samples of one VAD frame at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous frame each frame is given
BLOCK = 512  # frames per ONNX call
MODEL_FILE = "silero_vad/data/silero_vad_16k_sequence.onnx"


@functools.lru_cache(maxsize=1)
def _session():
    import onnxruntime
    from importlib.metadata import distribution

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    path = distribution("silero-vad").locate_file(MODEL_FILE)
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """(frames,) probability of speech in each 32 ms frame of mono 16 kHz ``samples``."""
    session = _session()
    count = -(-len(samples) // FRAME)
    frames = np.zeros((count, FRAME), dtype=np.float32)
    frames.reshape(-1)[: len(samples)] = samples
    context = np.zeros((count, CONTEXT), dtype=np.float32)
    context[1:] = frames[:-1, -CONTEXT:]
    hidden = np.zeros((1, 1, 128), dtype=np.float32)
    cell = np.zeros((1, 1, 128), dtype=np.float32)
    out = []
    for first in range(0, count, BLOCK):
        block = np.concatenate([context[first:first + BLOCK], frames[first:first + BLOCK]], axis=1)
        probabilities, hidden, cell = session.run(["speech_probs", "hn", "cn"], {"input": block, "h": hidden, "c": cell})
        out.append(probabilities.reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
