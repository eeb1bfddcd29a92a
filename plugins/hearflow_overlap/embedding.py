"""One voice embedding per (window, local speaker), from the frames where that speaker talks.

Frames where the speaker talks alone are preferred: overlapped speech mixes two voices. When a
speaker has too little clean speech in a window, every frame it talks in is used; with too little
of that, the speaker gets no embedding and is left out of the clustering for that window.
"""

from __future__ import annotations

import numpy as np

from hearflow_overlap.networks import kaldi_fbank
from hearflow_overlap.segmentation import FRAME_STEP, LOCAL_SPEAKERS

FBANK_SHIFT = 0.01  # seconds
FBANK_CENTRE = 0.0125  # seconds from a filterbank frame's start to its centre


def speaker_embeddings(audio: np.ndarray, activity: np.ndarray, run, *, min_clean: float,
                       min_active: float, max_frames: int) -> list[np.ndarray | None]:
    """For each local speaker, an L2-normalised embedding or None."""
    if not activity.any():
        return [None] * LOCAL_SPEAKERS
    fbank = kaldi_fbank(audio)
    # which segmentation frame each filterbank frame falls in
    segment_frame = np.minimum(((np.arange(len(fbank)) * FBANK_SHIFT + FBANK_CENTRE) / FRAME_STEP).astype(int),
                               len(activity) - 1)
    alone = activity.sum(axis=1) == 1
    out: list[np.ndarray | None] = []
    for speaker in range(LOCAL_SPEAKERS):
        active = activity[:, speaker].astype(bool)
        clean = active & alone
        if clean.sum() * FRAME_STEP >= min_clean:
            chosen = clean[segment_frame]
        elif active.sum() * FRAME_STEP >= min_active:
            chosen = active[segment_frame]
        else:
            out.append(None)
            continue
        features = fbank[chosen][:max_frames]
        features = features - features.mean(axis=0)
        vector = run(np.ascontiguousarray(features[None], dtype=np.float32))[0]
        out.append(vector / max(float(np.linalg.norm(vector)), 1e-8))
    return out
