"""The one tail every finished call goes through, whichever door it came in by (CLI, archive,
scheduled run, HTTP job): store → ``on_call_complete`` for every plugin → sinks → formats.

A failing plugin is logged and does not undo the stored call. A store that refuses the write
does not lose the call either: the formats are still written and the outcome says it was not
stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hearflow.errors import StoreError
from hearflow.models import CallResult, DeliveryReport, ErrorInfo
from hearflow.output.files import write_outputs
from hearflow.plugins.manager import call_hook

log = logging.getLogger("hearflow")


@dataclass
class CallOutcome:
    result: CallResult
    reused: bool = False  # the store already had it: nothing ran
    stored: bool = True
    store_error: ErrorInfo | None = None  # why it was not stored
    outputs: list[str] = field(default_factory=list)
    deliveries: list[DeliveryReport] = field(default_factory=list)


def finish(engine, store, result: CallResult, formats=(), out_dir: str | Path | None = None) -> CallOutcome:
    """Store a newly computed call, tell the plugins, deliver it, write its formats."""
    outcome = CallOutcome(result=result)
    try:
        store.save(result)
    except StoreError as exc:
        outcome.stored, outcome.store_error = False, ErrorInfo(code=exc.code, message=exc.message)
    if outcome.stored:
        call_hook(store.plugin_manager, "on_call_complete", strict=False, result=result, db=store.db)
    if engine.sinks:
        outcome.deliveries = engine.deliver(result)
        if outcome.stored:
            store.save_deliveries(result.id, outcome.deliveries)
    outcome.outputs = write_formats(engine, result, formats, out_dir)
    return outcome


def write_formats(engine, result: CallResult, formats=(), out_dir: str | Path | None = None) -> list[str]:
    if not formats:
        return []
    return [str(p) for p in write_outputs(engine.registry, result, list(formats), Path(out_dir or "."))]
