"""Geometry of the scorecard's SVG charts, worked out here so templates only draw what they get.

Coordinates are viewBox units; every chart is ``WIDTH`` wide and scales with the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearflow import CallResult, TrackerReport
from hearflow_scorecard.speakers import speaker_of
from hearflow_scorecard.timecode import clock

WIDTH = 1000
PLOT_LEFT = 180  # room for the lane labels with their role ("customer SPEAKER_2")
PLOT_RIGHT = WIDTH - 16  # the last tick label is centred on the edge and needs half its width
LANE_HEIGHT = 24
LANE_GAP = 10
MARKER_LANE = 30
AXIS_HEIGHT = 26
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MAX_TICKS = 10
SPAN_TITLE_CHARS = 120


@dataclass(frozen=True)
class Slice:
    """One speaker's part of the talk-time bar."""

    speaker: str
    seconds: float
    share: float
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class Lane:
    speaker: str
    y: float
    colour: str


@dataclass(frozen=True)
class Span:
    """One segment on its speaker's lane."""

    speaker: str
    x: float
    y: float
    width: float
    colour: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Marker:
    """One tracker hit: a small downward triangle above the lanes."""

    tracker: str
    x: float
    colour: str
    title: str

    @property
    def path(self) -> str:
        return f"M{self.x - 6:.1f} 8 L{self.x + 6:.1f} 8 L{self.x:.1f} 19 Z"


@dataclass(frozen=True)
class Timeline:
    height: float
    lanes_top: float
    axis_y: float
    lanes: list[Lane]
    spans: list[Span]
    ticks: list[Tick]
    markers: list[Marker]
    plot_left: float = PLOT_LEFT
    plot_right: float = PLOT_RIGHT
    lane_height: float = LANE_HEIGHT

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left


def talk_split(talk: dict[str, float], colours: dict[str, str]) -> list[Slice]:
    """Slices of one bar, in speaker order; empty when nobody spoke."""
    total = sum(talk.values())
    if total <= 0:
        return []
    slices, x = [], 0.0
    for speaker, seconds in talk.items():
        width = WIDTH * seconds / total
        slices.append(Slice(speaker, seconds, seconds / total, round(x, 2), round(width, 2), colours[speaker]))
        x += width
    return slices


def timeline_length(result: CallResult, trackers: TrackerReport | None) -> float:
    """The audio length, stretched if a segment or hit runs past it, and never zero."""
    ends = [result.audio_seconds, *(s.end for s in result.segments)]
    ends += [hit.end for hit in trackers.hits] if trackers else []
    return max(max(ends), 1.0)


def tick_step(length: float) -> int:
    return next((step for step in TICK_STEPS if length / step <= MAX_TICKS), TICK_STEPS[-1])


def timeline(result: CallResult, speakers: list[str], colours: dict[str, str],
             trackers: TrackerReport | None, tracker_colours: dict[str, str]) -> Timeline:
    length = timeline_length(result, trackers)
    scale = (PLOT_RIGHT - PLOT_LEFT) / length

    def x_of(seconds: float) -> float:
        return round(PLOT_LEFT + seconds * scale, 2)

    hits = trackers.hits if trackers else ()
    lanes_top = MARKER_LANE if hits else 6
    lane_y = {speaker: lanes_top + index * (LANE_HEIGHT + LANE_GAP) for index, speaker in enumerate(speakers)}
    lanes = [Lane(speaker, y, colours[speaker]) for speaker, y in lane_y.items()]
    spans = []
    for segment in result.segments:
        speaker = speaker_of(segment)
        width = max((segment.end - segment.start) * scale, 1.5)  # a blip still shows
        spans.append(Span(speaker, x_of(segment.start), lane_y[speaker], round(width, 2), colours[speaker],
                          _span_title(speaker, segment.start, segment.end, segment.text)))
    step = tick_step(length)
    ticks = [Tick(x_of(t), clock(t)) for t in range(0, int(length) + 1, step)]
    markers = [
        Marker(hit.tracker, x_of(hit.start), tracker_colours[hit.tracker],
               f"{hit.tracker}: “{hit.phrase}” at {clock(hit.start)}" + (f" ({hit.speaker})" if hit.speaker else ""))
        for hit in hits
    ]
    axis_y = lanes_top + max(len(speakers), 1) * (LANE_HEIGHT + LANE_GAP) - LANE_GAP + 6
    return Timeline(axis_y + AXIS_HEIGHT, lanes_top, axis_y, lanes, spans, ticks, markers)


def _span_title(speaker: str, start: float, end: float, text: str) -> str:
    words = text if len(text) <= SPAN_TITLE_CHARS else text[:SPAN_TITLE_CHARS - 1].rstrip() + "…"
    return f"{speaker} {clock(start)}–{clock(end)}: {words}"
