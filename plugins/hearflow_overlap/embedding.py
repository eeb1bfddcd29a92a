"""Voice embeddings of the pieces of a window: each local speaker's speech, cut into stretches of
at most ``piece`` seconds, from the frames where that speaker talks.

Why pieces rather than one embedding per local speaker and window: the segmentation model
sometimes gives two similar voices one local label inside a window; a few seconds per piece
lets clustering pull them apart again. Frames where the speaker talks alone are preferred
(overlapped speech mixes two voices); a piece with too little clean speech uses every frame it
talks in, and one with too little of that gets no embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hearflow_overlap.fbank import kaldi_fbank
from hearflow_overlap.segmentation import FRAME_STEP, RATE

FBANK_SHIFT = 0.01  # seconds
FBANK_LENGTH = 400  # samples one filterbank frame reads
FBANK_CENTRE = 0.0125  # seconds from a filterbank frame's start to its centre
MIN_FRAMES = 20  # fewer filterbank frames say nothing about a voice


@dataclass(frozen=True)
class Piece:
    local: int  # local speaker of the window
    first: int  # first segmentation frame
    last: int  # one past the last
    frames: np.ndarray  # (frames,) bool: the segmentation frames whose speech the embedding hears
    solo: float  # seconds of it the speaker talks alone


def window_pieces(activity: np.ndarray, *, zone: tuple[int, int], piece: float, min_clean: float,
                  min_active: float) -> list[Piece]:
    """The pieces of one window's ``zone`` (first and last frame): windows overlap, so each embeds
    only its own share of the call, which keeps the embedding cost at about one pass over the
    speech however small the step."""
    activity = activity.copy()
    activity[: zone[0]] = 0
    activity[zone[1]:] = 0
    alone = activity.sum(axis=1) == 1
    longest = max(1, int(round(piece / FRAME_STEP)))
    out = []
    for local in range(activity.shape[1]):
        active = activity[:, local].astype(bool)
        for first, last in _stretches(active, longest):
            span = np.zeros_like(active)
            span[first:last] = True
            clean = active & alone & span
            solo = float(clean.sum() * FRAME_STEP)
            if solo >= min_clean:
                out.append(Piece(local, first, last, clean, solo))
            elif (active & span).sum() * FRAME_STEP >= min_active:
                out.append(Piece(local, first, last, active & span, solo))
    return out


class Embedder:
    """CAM++ vectors of pieces from many windows: their features wait and run in batches of the same
    number of filterbank frames (most pieces are cut to ``max_embedded``), so one network call
    serves several windows. :meth:`add` gives a slot; :meth:`finish` the unit vectors by slot."""

    BATCH = 8  # pieces per network call
    WAITING = 64  # pieces held at most (odd lengths would otherwise wait for the end of the call)

    def __init__(self, run, max_embedded: float):
        self.run = run
        self.keep = int(max_embedded / FBANK_SHIFT)
        self.vectors: list[np.ndarray | None] = []
        self.waiting: dict[int, list[tuple[int, np.ndarray]]] = {}

    def add(self, audio: np.ndarray, frames: np.ndarray) -> int | None:
        """Slot of the embedding of ``audio``'s speech in segmentation ``frames``; None if too little."""
        features = piece_features(audio, frames, self.keep)
        if features is None:
            return None
        slot = len(self.vectors)
        self.vectors.append(None)
        group = self.waiting.setdefault(len(features), [])
        group.append((slot, features))
        if len(group) >= self.BATCH:
            self._run(len(features))
        elif sum(map(len, self.waiting.values())) >= self.WAITING:
            self.finish()
        return slot

    def finish(self) -> list[np.ndarray]:
        for length in list(self.waiting):
            self._run(length)
        return self.vectors

    def _run(self, length: int) -> None:
        group = self.waiting.pop(length)
        batch = self.run(np.ascontiguousarray(np.stack([features for _, features in group]), dtype=np.float32))
        for (slot, _), vector in zip(group, batch):
            self.vectors[slot] = vector / max(float(np.linalg.norm(vector)), 1e-8)


def piece_features(audio: np.ndarray, frames: np.ndarray, keep: int) -> np.ndarray | None:
    """Mean-normalised filterbank of the speech in segmentation ``frames``: the middle ``keep``
    filterbank frames of it (enough to know the voice); only those are computed."""
    hop = int(round(FBANK_SHIFT * RATE))
    count = 1 + (len(audio) - FBANK_LENGTH) // hop
    # which segmentation frame each filterbank frame falls in
    segment_frame = np.minimum(((np.arange(count) * FBANK_SHIFT + FBANK_CENTRE) / FRAME_STEP).astype(int),
                               len(frames) - 1)
    wanted = np.flatnonzero(frames[segment_frame])
    if len(wanted) < MIN_FRAMES:  # the window ran past the end of the call
        return None
    if len(wanted) > keep:
        skip = (len(wanted) - keep) // 2
        wanted = wanted[skip:skip + keep]
    first, last = int(wanted[0]), int(wanted[-1]) + 1
    features = kaldi_fbank(audio[first * hop:(last - 1) * hop + FBANK_LENGTH])[wanted - first]
    return features - features.mean(axis=0)


def _stretches(active: np.ndarray, longest: int) -> list[tuple[int, int]]:
    """Runs of active frames (pauses under half a second bridged), cut into near-equal parts of at
    most ``longest`` frames."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    runs: list[list[int]] = []
    bridge = int(0.5 / FRAME_STEP)
    for first, last in zip(edges[::2], edges[1::2]):
        if runs and first - runs[-1][1] < bridge:
            runs[-1][1] = last
        else:
            runs.append([int(first), int(last)])
    out = []
    for first, last in runs:
        parts = max(1, int(np.ceil((last - first) / longest)))
        bounds = np.linspace(first, last, parts + 1).round().astype(int)
        out.extend(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    return out
