"""Sliding analysis windows laid inside speech regions, never across silence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    region: int  # index of the speech region it lies in

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2

    @property
    def duration(self) -> float:
        return self.end - self.start


def sliding_windows(regions: list[tuple[float, float]], length: float, hop: float) -> list[Window]:
    """Windows of ``length`` every ``hop`` seconds in each region; the last one ends with the region
    so its tail is covered. A region shorter than ``length`` is one window of its own size, so a
    short reply still gets a voice of its own."""
    windows = []
    for index, (start, end) in enumerate(regions):
        if end - start <= length:
            windows.append(Window(start, end, index))
            continue
        cursor = start
        while cursor + length < end:
            windows.append(Window(cursor, cursor + length, index))
            cursor += hop
        windows.append(Window(end - length, end, index))
    return windows
