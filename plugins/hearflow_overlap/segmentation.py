"""Local segmentation: who of up to three local speakers talks in each frame of a 10 s window.

segmentation-3.0 answers with a powerset: per frame, one of seven classes (nobody, one of three
speakers, or one of the three pairs). Decoding takes the most likely class, so two speakers can be
active in the same frame; that is where overlap comes from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

RATE = 16000
WINDOW = 160_000  # samples
FRAMES = 589  # PyanNet's output frames for one window
FRAME_SAMPLES = 270  # samples between output frames (the SincNet and pooling strides)
FRAME_STEP = FRAME_SAMPLES / RATE  # seconds
FRAME_SPAN = 991 / RATE  # seconds of audio one output frame sees
LOCAL_SPEAKERS = 3

# powerset class → which of the three local speakers it holds
POWERSET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.uint8)


@dataclass(frozen=True)
class Window:
    start: int  # first sample, at 16 kHz
    audio: np.ndarray  # WINDOW samples (zero-padded past the end of the call)
    activity: np.ndarray  # (FRAMES, 3) uint8: local speaker active in frame


def window_starts(samples: int, step: int) -> list[int]:
    """Starts of windows ``step`` apart covering the call; the last one ends with the call."""
    if samples <= WINDOW:
        return [0]
    starts = list(range(0, samples - WINDOW + 1, step))
    if samples - WINDOW - starts[-1] > step // 4 or len(starts) == 1:
        starts.append(samples - WINDOW)
    else:  # a sliver left over moves the last window instead of adding one
        starts[-1] = samples - WINDOW
    return starts


def windows(reader, starts: list[int], run, batch: int = 8) -> Iterator[Window]:
    """Segmented windows, ``batch`` at a time, so only a few windows' audio exists at once.
    ``reader(start, count)`` gives 16 kHz samples; ``run`` is the segmentation network."""
    for first in range(0, len(starts), batch):
        chunk = starts[first:first + batch]
        # one read for the batch: overlapping windows share their samples (and a slower rate is
        # resampled once, not once per window)
        span = reader(chunk[0], chunk[-1] + WINDOW - chunk[0])
        audio = np.stack([_padded(span[start - chunk[0]:]) for start in chunk])
        scores = run(audio[:, None, :])
        for start, samples, frame_scores in zip(chunk, audio, scores):
            yield Window(start=start, audio=samples, activity=POWERSET[frame_scores.argmax(axis=-1)])


def zones(starts: list[int], samples: int, width: float) -> list[tuple[int, int]]:
    """Per window, the frames it embeds: ``width`` seconds around its centre, stretched to the call's
    start in the first window and to its end in the last, and to meet the neighbours' zones
    wherever the step is wider than ``width``."""
    out = []
    for index, start in enumerate(starts):
        centre = (start + WINDOW / 2) / RATE
        low, high = centre - width / 2, centre + width / 2
        if index == 0:
            low = 0.0
        else:
            low = min(low, (starts[index - 1] + start + WINDOW) / 2 / RATE)
        if index == len(starts) - 1:
            high = samples / RATE
        else:
            high = max(high, (start + starts[index + 1] + WINDOW) / 2 / RATE)
        first = int(np.floor((low - start / RATE) / FRAME_STEP))
        last = int(np.ceil((high - start / RATE) / FRAME_STEP))
        out.append((max(0, first), min(FRAMES, last)))
    return out


def _padded(samples: np.ndarray) -> np.ndarray:
    out = np.zeros(WINDOW, dtype=np.float32)
    out[: len(samples)] = samples[:WINDOW]
    return out
