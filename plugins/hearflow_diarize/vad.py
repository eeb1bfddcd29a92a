"""Speech regions from the Silero VAD model that ships inside the ``silero-vad`` wheel."""

from __future__ import annotations

import functools
import threading

import numpy as np

VAD_RATE = 16_000

# The TorchScript model keeps recurrent state between calls, so one call at a time.
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load_model():
    import torch

    # Importing silero_vad pins torch to one thread for the whole process; keep the caller's setting.
    threads = torch.get_num_threads()
    from silero_vad import load_silero_vad

    model = load_silero_vad(onnx=False)
    torch.set_num_threads(threads)
    return model


def speech_regions(samples: np.ndarray, *, threshold: float = 0.5, min_speech: float = 0.2,
                   min_silence: float = 0.15, pad: float = 0.03) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in mono 16 kHz ``samples``, in time order."""
    import torch
    from silero_vad import get_speech_timestamps

    model = _load_model()
    with _LOCK, torch.inference_mode():
        stamps = get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)), model,
            threshold=threshold, sampling_rate=VAD_RATE, min_speech_duration_ms=int(min_speech * 1000),
            min_silence_duration_ms=int(min_silence * 1000), speech_pad_ms=int(pad * 1000))
    return [(s["start"] / VAD_RATE, s["end"] / VAD_RATE) for s in stamps]
