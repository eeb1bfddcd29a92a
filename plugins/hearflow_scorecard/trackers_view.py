"""Tracker counts and time bins as table rows, each bin shaded by how busy it is."""

from __future__ import annotations

from dataclasses import dataclass

from hearflow import TrackerReport
from hearflow_scorecard.speakers import tint
from hearflow_scorecard.timecode import clock


@dataclass(frozen=True)
class TrackerRow:
    tracker: str
    colour: str
    count: int
    cells: list[tuple[int, str]]  # per time bin: hits, and the background that shows how busy it was


def tracker_names(report: TrackerReport | None) -> list[str]:
    if report is None:
        return []
    return sorted(set(report.counts) | set(report.bins) | {hit.tracker for hit in report.hits})


def bin_count(report: TrackerReport) -> int:
    return max((len(bins) for bins in report.bins.values()), default=0)


def bin_labels(report: TrackerReport) -> list[str]:
    return [clock(index * report.bin_seconds) for index in range(bin_count(report))]


def tracker_rows(report: TrackerReport, colours: dict[str, str]) -> list[TrackerRow]:
    width = bin_count(report)
    busiest = max((hits for bins in report.bins.values() for hits in bins), default=0) or 1
    rows = []
    for tracker in tracker_names(report):
        bins = report.bins.get(tracker, [])
        bins = bins + [0] * (width - len(bins))  # a tracker may report fewer bins than the widest
        # Empty bins stay faintly tinted so the row still reads as one strip.
        cells = [(hits, tint(colours[tracker], 0.06 + 0.84 * hits / busiest)) for hits in bins]
        rows.append(TrackerRow(tracker, colours[tracker], report.counts.get(tracker, 0), cells))
    return rows
