"""Running the step list in this process: one call, start to finish, and the lookup that
spares the work when the store already has the call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hearflow.media.audiofile import Fingerprint
from hearflow.media.fetch import local_copy
from hearflow.models import CallResult
from hearflow.pipeline.steps import initial_state, spent_after, waves
from hearflow.pipeline.tail import CallOutcome, finish, write_formats


def compute(engine, fingerprint: Fingerprint, source: str) -> CallResult:
    """Every step of ``STEPS``, in order, in this process; independent steps at once (both the
    diarizer and the recogniser release the GIL). Stores and writes nothing."""
    state = initial_state(fingerprint, source)
    done = 0
    for wave in waves():
        if len(wave) == 1:
            state[wave[0].writes] = wave[0].run(engine, state)
        else:
            with ThreadPoolExecutor(max_workers=len(wave), thread_name_prefix="hearflow-step") as pool:
                futures = [(step, pool.submit(step.call, engine, step.inputs(state))) for step in wave]
                for step, future in futures:  # the first failure in step order is the one raised
                    state[step.writes] = future.result()
        done += len(wave)
        for name in spent_after(done):
            state.pop(name, None)
    return state["result"]


def stored_call(engine, store, sha256: str) -> CallResult | None:
    """The stored call for these bytes, if it was made with the same options (the one place that
    decides "already stored")."""
    return store.find_current(engine.call_id(sha256), engine.resolved_options())


def stored_outcome(engine, store, sha256: str, formats=(), out_dir: str | Path | None = None) -> CallOutcome | None:
    """The outcome for a call the store already has (its formats written), or None."""
    stored = stored_call(engine, store, sha256)
    if stored is None:
        return None
    return CallOutcome(result=stored, reused=True, outputs=write_formats(engine, stored, formats, out_dir))


def run_call(engine, store, source: str, *, formats=(), out_dir: str | Path | None = None,
             reuse: bool = True, compute=compute, finish=finish, url_check=None) -> CallOutcome:
    """One recording (a path or an https URL) through the steps and the tail. ``compute`` and
    ``finish`` default to this process; the Prefect flow passes its task-wrapped ones.
    ``url_check`` is a rule every hop of a URL's redirects must pass too (the HTTP API's)."""
    with local_copy(source, max_bytes=engine.settings.max_bytes, check=url_check) as path:
        fingerprint = engine.fingerprint(path)
        stored = stored_outcome(engine, store, fingerprint.sha256, formats, out_dir) if reuse else None
        if stored is not None:
            return stored
        result = compute(engine, fingerprint, source)
    return finish(engine, store, result, formats, out_dir)
