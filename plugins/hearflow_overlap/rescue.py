"""Speech the segmentation does not hear: stretches where the Silero VAD finds speech but the windows,
on average, hear nobody. segmentation-3.0 was trained on ordinary voices; a whispered or breathy
voice can pass it by entirely (one of the synthetic test voices does), while the VAD still hears
it. Each such stretch becomes a window of its own with one local speaker, embedded like any other
and clustered with the rest, so a voice only the VAD hears can still be a speaker of its own.
"""

from __future__ import annotations

import numpy as np

from hearflow_overlap.segmentation import FRAME_SAMPLES, FRAME_SPAN, FRAME_STEP, FRAMES, LOCAL_SPEAKERS, RATE, WINDOW

CHUNK = 600 * RATE  # the VAD reads the call ten minutes at a time: a long call is never resampled whole
LONGEST = 8.0  # seconds of one rescued stretch, so that it fits a window with some context
THRESHOLD = 0.5  # speech probability of a VAD frame
BRIDGE = 0.15  # seconds: shorter dips of the VAD inside speech are bridged


def unheard_windows(reader, talkers: np.ndarray, shortest: float) -> list[tuple[int, np.ndarray]]:
    """(start sample, activity) pseudo-windows, one per stretch of at least ``shortest`` seconds
    of VAD speech where ``talkers`` (the windows' rounded speaker count per frame) is zero."""
    from hearflow_overlap.voice_activity import FRAME, speech_probabilities

    heard = np.concatenate([speech_probabilities(reader(offset, CHUNK)) >= THRESHOLD
                            for offset in range(0, reader.length, CHUNK)])
    heard = _bridged(heard, int(BRIDGE * RATE / FRAME))
    centres = np.arange(len(talkers)) * FRAME_STEP + FRAME_SPAN / 2
    speech = heard[np.minimum((centres * RATE / FRAME).astype(int), len(heard) - 1)]
    unheard = np.concatenate([[0], (speech & (talkers == 0)).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(unheard))
    longest = int(LONGEST / FRAME_STEP)
    out = []
    for first, last in zip(edges[::2].tolist(), edges[1::2].tolist()):
        if (last - first) * FRAME_STEP < shortest:
            continue
        for part in range(first, last, longest):
            end = min(part + longest, last)
            # the window starts on the frame grid, the stretch about in its middle
            offset = max(0, min((part + end) // 2 - FRAMES // 2, (reader.length - WINDOW) // FRAME_SAMPLES))
            activity = np.zeros((FRAMES, LOCAL_SPEAKERS), dtype=np.uint8)
            activity[part - offset:end - offset, 0] = 1
            out.append((offset * FRAME_SAMPLES, activity))
    return out


def _bridged(speech: np.ndarray, longest: int) -> np.ndarray:
    """``speech`` with runs of at most ``longest`` silent frames between speech filled in."""
    out = speech.copy()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], speech.astype(np.int8), [0]])))
    for end, start in zip(edges[1:-1:2], edges[2::2]):  # each gap: from a run's end to the next start
        if start - end <= longest:
            out[end:start] = True
    return out
