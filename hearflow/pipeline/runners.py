"""Which runner executes the step list when the user does not name one."""

from __future__ import annotations

DEFAULT_RUNNER = "inprocess"


def choose_runner(registry, name: str | None = None):
    """The named runner; else the first installed one that prefers itself here (the Prefect
    runner, when a Prefect server is configured); else the in-process one."""
    if name:
        runner = registry.get("runner", name)
        runner.ensure_available()
        return runner()
    for runner in registry.stages("runner"):
        if runner.name != DEFAULT_RUNNER and runner.available() and runner.preferred():
            return runner()
    return registry.get("runner", DEFAULT_RUNNER)()
