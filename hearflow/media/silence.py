"""A redacted copy of a recording: what redaction replaced in the transcript is silenced in the
audio too, on every channel, so the copy can be shared where the original cannot."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from hearflow.models import Audio

# Recogniser word times are approximate: a little margin keeps the first and last sounds out.
MARGIN_SECONDS = 0.3


def silenced(samples: np.ndarray, rate: int, spans: Iterable[tuple[float, float]],
             margin: float = MARGIN_SECONDS) -> np.ndarray:
    """A copy of ``(channels, samples)`` with every ``(start, end)`` span (seconds) set to zero."""
    out = np.array(samples, dtype=np.float32, copy=True)
    length = out.shape[-1]
    for start, end in spans:
        first = max(0, int((start - margin) * rate))
        last = min(length, int(np.ceil((end + margin) * rate)))
        if last > first:
            out[..., first:last] = 0.0
    return out


def write_silenced(audio: Audio, spans: Iterable[tuple[float, float]], path: Path) -> Path:
    """The recording with ``spans`` silenced, as 16-bit WAV at its own rate and channel count."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), silenced(audio.samples, audio.sample_rate, spans).T, audio.sample_rate,
                    subtype="PCM_16")
    return path
