"""Prefect settings the CLI needs before Prefect is imported."""

from __future__ import annotations

import os


def quiet_prefect(verbose: bool = False) -> None:
    """Keep Prefect's per-run log lines off the terminal unless asked; leave user settings alone."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The embedded server's telemetry job races its own first start-up on SQLite; off by default.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The embedded server can take a while to start on a busy two-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
