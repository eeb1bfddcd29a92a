"""Long tracks in bounded pieces, cut where it is quietest, so the memory that recognition needs
(features, VAD windows, encoder input) depends on the piece length, not on the call's."""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.1
SPAN_FRAMES = 15  # a pause is judged over 1.5 s, so a long silence beats a breath between words


def chunk_bounds(length: int, rate: int, audio: np.ndarray, *, max_seconds: float,
                 search_seconds: float = 20.0) -> list[tuple[int, int]]:
    """(start, end) sample ranges covering ``audio``, each at most ``max_seconds`` long. Each cut
    lies in the last ``search_seconds`` of its piece, in the quietest 1.5 s stretch there, so it
    falls in the longest pause rather than between two close words."""
    limit = int(max_seconds * rate)
    frame = max(1, int(FRAME_SECONDS * rate))
    search = min(int(search_seconds * rate), limit // 2)
    bounds, start = [], 0
    while length - start > limit:
        low, high = start + limit - search, start + limit
        frames = (high - low) // frame
        region = audio[low: low + frames * frame].reshape(frames, frame)
        energy = np.einsum("ij,ij->i", region, region)  # no squared copy of the region
        smoothed = np.convolve(energy, np.ones(SPAN_FRAMES), mode="same")
        cut = low + int(np.argmin(smoothed)) * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, length))
    return bounds
