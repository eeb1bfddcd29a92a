"""Transcript lines with tracker phrases marked where they were found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hearflow import CallResult, Segment, TrackerHit
from hearflow_scorecard.speakers import speaker_of

# A hit's start lies inside its segment, give or take rounding of word times.
SLACK_SECONDS = 0.05


@dataclass(frozen=True)
class Line:
    start: float
    speaker: str
    colour: str
    parts: list[tuple[str, str | None]]  # pieces of the text, each with the tracker it matched or None


def transcript_lines(result: CallResult, hits: tuple[TrackerHit, ...], colours: dict[str, str]) -> list[Line]:
    return [Line(s.start, speaker_of(s), colours[speaker_of(s)], mark_phrases(s.text, _phrases_in(s, hits)))
            for s in result.segments]


def _phrases_in(segment: Segment, hits: tuple[TrackerHit, ...]) -> dict[str, str]:
    return {hit.phrase.lower(): hit.tracker for hit in hits
            if segment.start - SLACK_SECONDS <= hit.start <= segment.end + SLACK_SECONDS}


def mark_phrases(text: str, phrases: dict[str, str]) -> list[tuple[str, str | None]]:
    """Split ``text`` around whole-word, case-blind matches of ``phrases`` (phrase → tracker)."""
    if not phrases:
        return [(text, None)]
    longest_first = sorted(phrases, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, longest_first)) + r")(?!\w)", re.IGNORECASE)
    parts, cursor = [], 0
    for match in pattern.finditer(text):
        if match.start() > cursor:
            parts.append((text[cursor:match.start()], None))
        parts.append((match.group(0), phrases.get(match.group(0).lower())))
        cursor = match.end()
    if cursor < len(text):
        parts.append((text[cursor:], None))
    return parts
