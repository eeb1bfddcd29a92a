"""Offline diarization of mono calls that keeps overlapped speech (the ``overlap`` separator)."""

from __future__ import annotations

from hearflow import hookimpl

from hearflow_overlap.diarizer import OverlapDiarizer

__all__ = ["OverlapDiarizer"]


@hookimpl
def register_separators(register):
    register(OverlapDiarizer)
