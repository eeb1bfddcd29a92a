"""The one door from the API into the pipeline: every job and every analyze request goes
through ``run_call``, the same step list and tail (store → on_call_complete → sinks → formats)
as the CLI's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class _Outcome:  # the shape of the pipeline's CallOutcome that the API reads
    result: object
    reused: bool = False
    stored: bool = True
    outputs: list[str] = field(default_factory=list)


def run_call(engine, store, source: str | Path, *, formats=(), out_dir: Path | None = None, reuse: bool = True):
    """Analyse one recording with ``engine``, store it in ``store``; returns the outcome
    (``.result``, ``.reused``, ``.outputs``, ``.stored``)."""
    from hearflow.media.fetch import local_copy
    from hearflow.output.files import write_outputs

    with local_copy(str(source), max_bytes=engine.settings.max_bytes) as path:
        fingerprint = engine.fingerprint(path)
        stored = store.find_current(engine.call_id(fingerprint.sha256), engine.resolved_options()) if reuse else None
        result = stored or engine.run(path).model_copy(update={"source": str(source)})
    if stored is None:
        store.save(result)
    outputs = [str(p) for p in write_outputs(engine.registry, result, list(formats), Path(out_dir or "."))]
    return _Outcome(result=result, reused=stored is not None, outputs=outputs)
