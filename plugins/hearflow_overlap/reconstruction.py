"""From windows back to the whole call: per global speaker, the share of overlapping windows that
hear them in each frame; per frame, how many speakers talk (the windows' average count); the
top-scoring speakers up to that count are active. That keeps overlap; the exclusive view keeps the
single highest-scoring speaker of each active frame.
"""

from __future__ import annotations

import numpy as np

from hearflow_overlap.segmentation import FRAME_SPAN, FRAME_STEP, FRAMES, RATE


class Aggregate:
    """Running sums over a global frame grid, filled one window at a time."""

    def __init__(self, samples: int, speakers: int):
        frames = int(np.ceil(samples / RATE / FRAME_STEP)) + FRAMES
        self.scores = np.zeros((frames, max(speakers, 1)), dtype=np.float32)
        self.count = np.zeros(frames, dtype=np.float32)
        self.coverage = np.zeros(frames, dtype=np.float32)
        self.frames = int(np.ceil(samples / RATE / FRAME_STEP))

    def add(self, start_sample: int, activity: np.ndarray, pieces) -> None:
        """One window: its activity and its pieces as (local speaker, first, last, speaker)."""
        offset = int(round(start_sample / RATE / FRAME_STEP))
        span = slice(offset, offset + len(activity))
        self.coverage[span] += 1
        self.count[span] += activity.sum(axis=1)
        heard = np.zeros((len(activity), self.scores.shape[1]), dtype=np.float32)
        for local, first, last, speaker in pieces:  # two pieces on one speaker count once
            np.maximum(heard[first:last, speaker], activity[first:last, local], out=heard[first:last, speaker])
        self.scores[span] += heard

    def activity(self) -> tuple[np.ndarray, np.ndarray]:
        """(frames, speakers) bool: who talks in each frame, overlap kept; and the scores."""
        frames = self.frames
        coverage = np.maximum(self.coverage[:frames], 1)
        scores = self.scores[:frames] / coverage[:, None]
        count = np.rint(self.count[:frames] / coverage).astype(int)
        count = np.minimum(count, scores.shape[1])
        ranked = np.argsort(-scores, axis=1)
        active = np.zeros_like(scores, dtype=bool)
        for rank in range(scores.shape[1]):
            chosen = count > rank
            active[np.flatnonzero(chosen), ranked[chosen, rank]] = True
        active &= scores > 0
        return active, scores


def runs(active: np.ndarray, min_off: float, min_on: float) -> list[tuple[float, float, int]]:
    """(start, end, speaker) stretches of each speaker's active frames; gaps shorter than
    ``min_off`` are bridged, stretches shorter than ``min_on`` dropped."""
    pieces = []
    for speaker in range(active.shape[1]):
        column = np.concatenate([[False], active[:, speaker], [False]])
        edges = np.flatnonzero(np.diff(column.astype(np.int8)))
        spans = [[_time(a), _time(b)] for a, b in zip(edges[::2], edges[1::2])]
        merged: list[list[float]] = []
        for span in spans:
            if merged and span[0] - merged[-1][1] < min_off:
                merged[-1][1] = span[1]
            else:
                merged.append(span)
        pieces.extend((s, e, speaker) for s, e in merged if e - s >= min_on)
    return pieces


def exclusive(active: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Only the highest-scoring active speaker of each frame."""
    out = np.zeros_like(active)
    talking = active.any(axis=1)
    best = np.argmax(np.where(active, scores, -1), axis=1)
    out[np.flatnonzero(talking), best[talking]] = True
    return out


def _time(frame: int) -> float:
    # frame boundaries sit half a step either side of the frame's centre
    return max(0.0, frame * FRAME_STEP + FRAME_SPAN / 2 - FRAME_STEP / 2)
