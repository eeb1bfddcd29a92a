"""What a Prefect worker hands back to the API for one job: the computed call, or its error, as
a file in the job's spool folder. The API process alone puts it through the tail and writes the
store; the worker never opens the store, and Prefect's result storage never holds a transcript."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hearflow.models import CallResult, ErrorInfo
from hearflow.pipeline.archive import Computed

FILE = "computed.json"


def write_computed(folder: Path, computed: Computed) -> Path:
    """Written whole or not at all (a rename), so the API never reads half a result."""
    folder.mkdir(parents=True, exist_ok=True)
    body = {"source": computed.source, "sha256": computed.sha256,
            "result": computed.result.model_dump(mode="json") if computed.result else None,
            "error": computed.error.model_dump() if computed.error else None}
    partial = folder / f".{FILE}.{os.getpid()}"
    partial.write_text(json.dumps(body))
    os.replace(partial, folder / FILE)
    return folder / FILE


def read_computed(folder: Path) -> Computed | None:
    """The worker's hand-off, or None when it left none (the run crashed before writing it)."""
    try:
        body = json.loads((folder / FILE).read_text())
    except FileNotFoundError:
        return None
    return Computed(body["source"], body["sha256"],
                    result=CallResult.model_validate(body["result"]) if body["result"] else None,
                    error=ErrorInfo(**body["error"]) if body["error"] else None)
