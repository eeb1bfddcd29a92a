"""Clock labels for the scorecard: m:ss, or h:mm:ss once a call passes the hour."""

from __future__ import annotations


def clock(seconds: float) -> str:
    whole = max(0, int(seconds))  # a timestamp names the second it falls in, so truncate
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"
