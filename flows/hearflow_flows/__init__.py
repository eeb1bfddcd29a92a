"""Prefect flows that compose hearflow's engine stages."""

from hearflow_flows.analyze import AnalyzeOutcome, analyze_call

__all__ = ["AnalyzeOutcome", "analyze_call"]
