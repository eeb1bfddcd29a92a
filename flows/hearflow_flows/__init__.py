"""Prefect flows that execute hearflow's step list: ``analyze_call`` and ``process_archive``.

Loaded lazily: the ``prefect`` plugin (``hearflow_flows.plugin``) is imported on every CLI
start, and Prefect itself only when a flow is asked for.
"""

from __future__ import annotations

import importlib

_EXPORTS = {"analyze_call": "hearflow_flows.analyze", "process_archive": "hearflow_flows.archive",
            "ArchiveSummary": "hearflow.pipeline.archive", "CallOutcome": "hearflow.pipeline.tail"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hearflow_flows' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
