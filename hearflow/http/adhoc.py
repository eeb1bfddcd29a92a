"""A transcript given as text (``SPEAKER_1: …`` lines) as a call the analyzer can answer about."""

from __future__ import annotations

import hashlib
import re

from hearflow.models import CallResult, Segment

_LINE = re.compile(r"^\s*([A-Za-z][\w .-]{0,40}?)\s*:\s*(.+)$")


def transcript_call(transcript: str) -> CallResult:
    """One segment per line, a second apart (the text has no timings). A line without a
    ``NAME:`` prefix continues the previous speaker."""
    segments, speaker = [], "SPEAKER_1"
    for line in transcript.splitlines():
        if not line.strip():
            continue
        match = _LINE.match(line)
        text = line.strip()
        if match:
            speaker, text = match.group(1).strip(), match.group(2).strip()
        index = len(segments)
        segments.append(Segment(start=float(index), end=float(index + 1), text=text, speaker=speaker))
    timing: dict[str, float] = {}
    for segment in segments:
        timing[segment.speaker] = timing.get(segment.speaker, 0.0) + 1.0
    sha = hashlib.sha256(transcript.encode()).hexdigest()
    return CallResult(id=sha[:16], source="transcript", sha256=sha, format="text", mode="mono", diarized=False,
                      language=None, model=None, audio_seconds=float(len(segments)), channels=1, sample_rate=0,
                      segments=tuple(segments), speaker_timing=timing)
