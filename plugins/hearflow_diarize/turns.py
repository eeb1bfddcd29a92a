"""From labelled windows to speaker turns that start and end where the VAD heard speech."""

from __future__ import annotations

import numpy as np

from hearflow import Turn, named_turns

from hearflow_diarize.windows import Window

STEP = 0.01  # seconds per frame when resolving overlapping windows


def label_regions(regions: list[tuple[float, float]], windows: list[Window], labels: np.ndarray,
                  *, min_island: float) -> list[tuple[float, float, int]]:
    """(start, end, speaker) pieces covering every region. Windows overlap, so each frame goes to
    the window whose centre is nearest; runs shorter than ``min_island`` inside a region join a
    neighbour, as speakers rarely hold the floor that briefly mid-utterance. A region that is short
    on its own (a back-channel "okay") is left alone."""
    pieces = []
    for index, (start, end) in enumerate(regions):
        members = [(w.centre, int(label)) for w, label in zip(windows, labels) if w.region == index]
        if not members:
            continue
        centres = np.array([centre for centre, _ in members])
        speakers = np.array([speaker for _, speaker in members])
        frames = start + (np.arange(max(1, int(round((end - start) / STEP)))) + 0.5) * STEP
        nearest = np.abs(frames[:, None] - centres[None, :]).argmin(axis=1)
        runs = _runs(speakers[nearest], start, end)
        pieces.extend(_absorb_islands(runs, min_island))
    return pieces


def _runs(frame_speakers: np.ndarray, start: float, end: float) -> list[list]:
    changes = np.flatnonzero(np.diff(frame_speakers)) + 1
    bounds = [0, *changes.tolist(), len(frame_speakers)]
    runs = []
    for first, last in zip(bounds[:-1], bounds[1:]):
        runs.append([start + first * STEP, min(end, start + last * STEP), int(frame_speakers[first])])
    runs[-1][1] = end
    return runs


def _absorb_islands(runs: list[list], min_island: float) -> list[tuple[float, float, int]]:
    while len(runs) > 1:
        lengths = [run[1] - run[0] for run in runs]
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= min_island:
            break
        neighbours = [i for i in (shortest - 1, shortest + 1) if 0 <= i < len(runs)]
        target = max(neighbours, key=lambda i: lengths[i])
        if target < shortest:
            runs[target][1] = runs[shortest][1]
        else:
            runs[target][0] = runs[shortest][0]
        del runs[shortest]
        runs = _merge_same(runs, 0.0)
    return [tuple(run) for run in runs]


def _merge_same(pieces: list[list], max_gap: float) -> list[list]:
    merged: list[list] = []
    for piece in pieces:
        if merged and merged[-1][2] == piece[2] and piece[0] - merged[-1][1] <= max_gap:
            merged[-1][1] = max(merged[-1][1], piece[1])
        else:
            merged.append(list(piece))
    return merged


def to_turns(pieces: list[tuple[float, float, int]], *, max_gap: float) -> list[Turn]:
    """Join same-speaker pieces across short pauses; name speakers SPEAKER_1… by first speech."""
    return named_turns(tuple(piece) for piece in _merge_same(sorted(pieces), max_gap))
