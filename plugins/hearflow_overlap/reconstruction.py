"""From windows back to the whole call: per global speaker, the share of overlapping windows that
hear them in each frame; per frame, how many speakers talk (the windows' average count); the
top-scoring speakers up to that count are active. That keeps overlap; the exclusive view keeps the
single highest-scoring speaker of each active frame.

A window embeds only its own share of the call, but its segmentation speaks for all of its ten
seconds: every frame of a local speaker takes the global speaker of that local speaker's nearest
embedded piece in the window, so every window that hears a frame votes on it. A local speaker with
no piece in its window (it talks only outside the window's share) is stitched afterwards to the
global speaker the other windows hear in the same frames.
"""

from __future__ import annotations

import numpy as np

from hearflow_overlap.segmentation import FRAME_SPAN, FRAME_STEP, FRAMES, RATE

UNLABELLED = -1


def local_labels(activity: np.ndarray, pieces) -> np.ndarray:
    """(local speakers, frames) global speaker of every frame, from ``pieces`` as (local speaker,
    first, last, speaker): the nearest piece of the same local speaker, or ``UNLABELLED``."""
    frames = np.arange(len(activity))
    labels = np.full((activity.shape[1], len(activity)), UNLABELLED)
    for local in range(activity.shape[1]):
        mine = [(first, last, speaker) for own, first, last, speaker in pieces if own == local]
        if not mine:
            continue
        distance = np.stack([np.maximum(first - frames, frames - (last - 1)).clip(0) for first, last, _ in mine])
        labels[local] = np.array([speaker for _, _, speaker in mine])[distance.argmin(axis=0)]
    return labels


class Aggregate:
    """Sums over a global frame grid: how many windows cover each frame and how many local
    speakers they hear there (known before clustering), then the global speakers' votes."""

    def __init__(self, samples: int, starts: list[int], activities: list[np.ndarray]):
        self.frames = int(np.ceil(samples / RATE / FRAME_STEP))
        self.coverage = np.zeros(self.frames + FRAMES, dtype=np.float32)
        self.count = np.zeros(self.frames + FRAMES, dtype=np.float32)
        self.scores = np.zeros((self.frames + FRAMES, 1), dtype=np.float32)
        for start, activity in zip(starts, activities):
            span = self._span(start, activity)
            self.coverage[span] += 1
            self.count[span] += activity.sum(axis=1)

    def talkers(self) -> np.ndarray:
        """(frames,) how many speakers talk in each frame: the windows' average count, rounded."""
        return np.rint(self.count[: self.frames] / np.maximum(self.coverage[: self.frames], 1)).astype(int)

    def speakers(self, count: int) -> None:
        self.scores = np.zeros((len(self.coverage), max(count, 1)), dtype=np.float32)

    def add(self, start_sample: int, activity: np.ndarray, labels: np.ndarray) -> None:
        """One window's votes: its activity and :func:`local_labels`."""
        self.scores[self._span(start_sample, activity)] += self._heard(activity, labels)

    def stitch(self, start_sample: int, activity: np.ndarray, labels: np.ndarray) -> None:
        """A window's unlabelled local speakers, once every window is in: each joins the speaker
        the other windows hear most in its frames, other than those it talks at the same time as."""
        span = self._span(start_sample, activity)
        heard = np.zeros((len(activity), self.scores.shape[1]), dtype=np.float32)
        for local in range(activity.shape[1]):
            talking = activity[:, local].astype(bool)
            if labels[local, 0] != UNLABELLED or not talking.any():
                continue
            votes = self.scores[span][talking].sum(axis=0)
            for other in range(activity.shape[1]):
                if labels[other, 0] != UNLABELLED and (talking & activity[:, other].astype(bool)).any():
                    votes[labels[other][talking & activity[:, other].astype(bool)]] = 0
            if votes.max() > 0:
                np.maximum(heard[:, votes.argmax()], activity[:, local], out=heard[:, votes.argmax()])
        self.scores[span] += heard

    def _span(self, start_sample: int, activity: np.ndarray) -> slice:
        offset = int(round(start_sample / RATE / FRAME_STEP))
        return slice(offset, offset + len(activity))

    def _heard(self, activity: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(frames, speakers): two local speakers on one global speaker count once."""
        heard = np.zeros((len(activity), self.scores.shape[1]), dtype=np.float32)
        for local in range(activity.shape[1]):
            frames = np.flatnonzero(labels[local] != UNLABELLED)
            np.maximum.at(heard, (frames, labels[local][frames]), activity[frames, local].astype(np.float32))
        return heard

    def activity(self) -> tuple[np.ndarray, np.ndarray]:
        """(frames, speakers) bool: who talks in each frame, overlap kept; and the scores."""
        scores = self.scores[: self.frames] / np.maximum(self.coverage[: self.frames], 1)[:, None]
        count = np.minimum(self.talkers(), scores.shape[1])
        ranked = np.argsort(-scores, axis=1)
        active = np.zeros_like(scores, dtype=bool)
        for rank in range(scores.shape[1]):
            chosen = count > rank
            active[np.flatnonzero(chosen), ranked[chosen, rank]] = True
        active &= scores > 0
        return active, scores

    def claim(self, active: np.ndarray, start_sample: int, talking: np.ndarray, first: int, speaker: int) -> None:
        """``speaker`` alone talks wherever ``talking`` (frames from ``first`` of a window) says so."""
        frames = self._span(start_sample, talking).start + first + np.flatnonzero(talking)
        frames = frames[frames < len(active)]
        active[frames] = False
        active[frames, speaker] = True

    def fill(self, active: np.ndarray, start_sample: int, activity: np.ndarray, labels: np.ndarray) -> None:
        """A rescued stretch (see :mod:`~hearflow_overlap.rescue`) speaks where nobody else does."""
        offset = self._span(start_sample, activity).start
        frames = np.flatnonzero(labels[0] != UNLABELLED)
        frames = frames[activity[frames, 0] > 0]
        frames = frames[offset + frames < len(active)]
        silent = ~active[offset + frames].any(axis=1)
        active[offset + frames[silent], labels[0][frames[silent]]] = True


def runs(active: np.ndarray, min_off: float, min_on: float, *, bridge_over_others: bool = True) -> list[tuple[float, float, int]]:
    """(start, end, speaker) stretches of each speaker's active frames; gaps shorter than
    ``min_off`` are bridged (only silent ones unless ``bridge_over_others``: the exclusive view
    never has two speakers at once), stretches shorter than ``min_on`` dropped."""
    pieces = []
    busy = active.sum(axis=1)
    for speaker in range(active.shape[1]):
        column = np.concatenate([[False], active[:, speaker], [False]])
        edges = np.flatnonzero(np.diff(column.astype(np.int8)))
        merged: list[list[int]] = []
        for first, last in zip(edges[::2].tolist(), edges[1::2].tolist()):
            if (merged and _time(first) - _time(merged[-1][1]) < min_off
                    and (bridge_over_others or not busy[merged[-1][1]:first].any())):
                merged[-1][1] = last
            else:
                merged.append([first, last])
        pieces.extend((_time(a), _time(b), speaker) for a, b in merged if _time(b) - _time(a) >= min_on)
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
