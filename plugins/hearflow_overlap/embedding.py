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
from hearflow_overlap.segmentation import FRAME_STEP, LOCAL_SPEAKERS, RATE

FBANK_SHIFT = 0.01  # seconds
FBANK_LENGTH = 400  # samples one filterbank frame reads
FBANK_CENTRE = 0.0125  # seconds from a filterbank frame's start to its centre
MIN_FRAMES = 20  # fewer filterbank frames say nothing about a voice


@dataclass(frozen=True)
class Piece:
    local: int  # local speaker of the window
    first: int  # first segmentation frame
    last: int  # one past the last
    vector: np.ndarray  # unit embedding


def window_pieces(audio: np.ndarray, activity: np.ndarray, run, *, zone: tuple[int, int], piece: float,
                  min_clean: float, min_active: float, max_embedded: float) -> list[Piece]:
    """The embedded pieces of one window's ``zone`` (first and last frame): windows overlap, so
    each embeds only its own share of the call, which keeps the embedding cost at about one pass
    over the speech however small the step; and of each piece at most ``max_embedded`` seconds."""
    activity = activity.copy()
    activity[: zone[0]] = 0
    activity[zone[1]:] = 0
    if not activity.any():
        return []
    # filterbank frames are independent of each other: only those under the zone's speech are computed
    talking = np.flatnonzero(activity.any(axis=1))
    first = max(0, int(np.floor((talking[0] * FRAME_STEP - FBANK_CENTRE) / FBANK_SHIFT)))
    last = int(np.ceil(((talking[-1] + 1) * FRAME_STEP - FBANK_CENTRE) / FBANK_SHIFT)) + 1
    hop = int(round(FBANK_SHIFT * RATE))
    fbank = kaldi_fbank(audio[first * hop:(last - 1) * hop + FBANK_LENGTH])
    # which segmentation frame each filterbank frame falls in
    segment_frame = np.minimum((((first + np.arange(len(fbank))) * FBANK_SHIFT + FBANK_CENTRE) / FRAME_STEP)
                               .astype(int), len(activity) - 1)
    alone = activity.sum(axis=1) == 1
    longest = max(1, int(round(piece / FRAME_STEP)))
    keep = int(max_embedded / FBANK_SHIFT)
    wanted = []  # (local, first, last, normalised features)
    for local in range(LOCAL_SPEAKERS):
        active = activity[:, local].astype(bool)
        for first, last in _stretches(active, longest):
            span = np.zeros_like(active)
            span[first:last] = True
            clean = active & alone & span
            if clean.sum() * FRAME_STEP >= min_clean:
                chosen = clean
            elif (active & span).sum() * FRAME_STEP >= min_active:
                chosen = active & span
            else:
                continue
            features = fbank[chosen[segment_frame]]
            if len(features) < MIN_FRAMES:  # the window ran past the end of the call
                continue
            if len(features) > keep:  # the middle of the piece is enough to know the voice
                skip = (len(features) - keep) // 2
                features = features[skip:skip + keep]
            wanted.append((local, first, last, features - features.mean(axis=0)))
    # pieces of the same length run as one batch (most are cut to ``keep`` frames)
    vectors: dict[int, np.ndarray] = {}
    for length in {len(features) for *_, features in wanted}:
        same = [index for index, (*_, features) in enumerate(wanted) if len(features) == length]
        batch = run(np.ascontiguousarray(np.stack([wanted[index][3] for index in same]), dtype=np.float32))
        vectors.update(zip(same, batch))
    return [Piece(local, first, last, vectors[index] / max(float(np.linalg.norm(vectors[index])), 1e-8))
            for index, (local, first, last, _) in enumerate(wanted)]


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
