"""Speech regions from the Silero VAD model that ships inside the ``silero-vad`` wheel (the
``diarize`` extra); diarizers share it.

The wheel's sequence export runs a whole block of 32 ms frames per ONNX call and gives the same
probabilities as the frame-by-frame model, about ten times faster: the frame loop, not the
network, was most of the diarizer's time.
"""

from __future__ import annotations

import functools

import numpy as np

VAD_RATE = 16_000


@functools.lru_cache(maxsize=1)
def _load_model():
    import onnxruntime
    import torch

    # Importing silero_vad pins torch to one thread for the whole process; keep the caller's setting.
    threads = torch.get_num_threads()
    from silero_vad import load_silero_vad

    torch.set_num_threads(threads)
    # The export carries unused initializers; ONNX Runtime warns about each one on stderr.
    onnxruntime.set_default_logger_severity(3)
    return load_silero_vad(sequence=True)


def speech_regions(samples: np.ndarray, *, threshold: float = 0.5, min_speech: float = 0.2,
                   min_silence: float = 0.15, pad: float = 0.03) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in mono 16 kHz ``samples``, in time order."""
    from silero_vad import get_speech_timestamps_sequence

    # Each call keeps its recurrent state in local arrays, so calls may run on several threads.
    stamps = get_speech_timestamps_sequence(
        np.ascontiguousarray(samples, dtype=np.float32), _load_model(), threshold=threshold,
        sampling_rate=VAD_RATE, min_speech_duration_ms=int(min_speech * 1000),
        min_silence_duration_ms=int(min_silence * 1000), speech_pad_ms=int(pad * 1000))
    return [(s["start"] / VAD_RATE, s["end"] / VAD_RATE) for s in stamps]
