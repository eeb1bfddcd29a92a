"""Reading RTTM, the diarization exchange format: one ``SPEAKER`` line per turn."""

from __future__ import annotations

from pathlib import Path


def read_rttm(path: str | Path) -> list[tuple[float, float, str]]:
    """(start, end, speaker label) of every SPEAKER line, in file order."""
    pieces = []
    for line in Path(path).read_text().splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            pieces.append((start, start + duration, fields[7]))
    return pieces
