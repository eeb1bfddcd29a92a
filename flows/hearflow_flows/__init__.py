"""Prefect flows that compose hearflow's engine stages."""

from hearflow_flows.analyze import AnalyzeOutcome, analyze_call
from hearflow_flows.archive import ArchiveSummary, process_archive

__all__ = ["AnalyzeOutcome", "ArchiveSummary", "analyze_call", "process_archive"]
