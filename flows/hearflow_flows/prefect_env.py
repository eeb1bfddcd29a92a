"""Prefect set-up for the command line: quiet consoles, no run logs lost."""

from __future__ import annotations

import logging
import os

_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def _not_a_run_log(record: logging.LogRecord) -> bool:
    return not record.name.startswith(_RUN_LOGGERS)


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def quiet_prefect(verbose: bool = False, quiet: bool = False) -> None:
    """Keep flow and task run logs off the terminal unless asked (they still reach the Prefect
    API and UI). Failures still reach the user: the CLI prints each as one coded line."""
    # The embedded server's telemetry job races its own first start-up on SQLite; off by default.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The embedded server can take a while to start on a busy two-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    if verbose:
        return
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    filters = [_not_a_run_log] + ([_warnings_only] if quiet else [])  # quiet: no "temporary server" lines
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                for console_filter in filters:
                    if console_filter not in handler.filters:
                        handler.addFilter(console_filter)
