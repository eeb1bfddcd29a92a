"""Which language a call is in: Whisper's language token over the first stretch of speech."""

from __future__ import annotations

import numpy as np

WINDOW_SECONDS = 30  # what one encoder pass sees
SCAN_SECONDS = 60  # audio searched for speech at a time, so a long first piece is not scanned whole


def first_speech(pieces, rate: int, *, vad: bool, seconds: float = WINDOW_SECONDS) -> np.ndarray | None:
    """Up to ``seconds`` of speech from the start of the call: the VAD's speech regions only
    (leading silence, hold music and noise left out), scanning no further than needed. None when
    there is no speech at all."""
    from faster_whisper.vad import get_speech_timestamps

    wanted, found = int(seconds * rate), []
    for _, audio in pieces:
        if not vad:
            return audio[:wanted]
        step = int(SCAN_SECONDS * rate)
        for start in range(0, len(audio), step):
            stretch = audio[start: start + step]
            found += [stretch[r["start"]: r["end"]] for r in get_speech_timestamps(stretch)]
            if sum(map(len, found)) >= wanted:
                return np.concatenate(found)[:wanted]
    return np.concatenate(found) if found else None


def detect_language(model, speech: np.ndarray) -> tuple[str, float]:
    """One encoder pass over ``speech`` (at most one window) and the most likely language."""
    language, probability, _ = model.detect_language(speech, language_detection_segments=1)
    return language, probability
