"""NVIDIA NeMo's clustering diarizer as the ``nemo`` separator."""

from __future__ import annotations

from hearflow import hookimpl

from hearflow_nemo.diarizer import NemoDiarizer

__all__ = ["NemoDiarizer"]


@hookimpl
def register_separators(register):
    register(NemoDiarizer)
