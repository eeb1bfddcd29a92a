"""pyannote.audio diarization pipelines as the ``pyannote`` separator."""

from __future__ import annotations

from hearflow import hookimpl

from hearflow_pyannote.diarizer import PyannoteDiarizer

__all__ = ["PyannoteDiarizer"]


@hookimpl
def register_separators(register):
    register(PyannoteDiarizer)
