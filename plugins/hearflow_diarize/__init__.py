"""Embedded speaker diarization for mono calls (the ``embedded`` separator)."""

from __future__ import annotations

from hearflow import hookimpl

from hearflow_diarize.diarizer import EmbeddedDiarizer

__all__ = ["EmbeddedDiarizer"]


@hookimpl
def register_separators(register):
    register(EmbeddedDiarizer)
