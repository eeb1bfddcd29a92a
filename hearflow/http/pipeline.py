"""The one door from the API into the pipeline: every job and every analyze request goes
through the core runner's ``run_call``: the same step list and the same tail (store →
on_call_complete → sinks → formats) as the CLI, an archive or a scheduled run."""

from __future__ import annotations

from hearflow.errors import StoreError
from hearflow.pipeline.runner import run_call as _run_call


def run_call(engine, store, source, *, formats=(), out_dir=None, reuse: bool = True, url_check=None):
    """The pipeline's outcome for one recording; a call the store refused is an error here,
    since API clients read results back from the store. ``url_check`` is applied to every
    redirect of an audio_url too."""
    return require_stored(_run_call(engine, store, str(source), formats=tuple(formats), out_dir=out_dir,
                                    reuse=reuse, url_check=url_check))


def require_stored(outcome):
    """The tail's outcome, or the store's refusal as an error."""
    if not outcome.stored:
        error = outcome.store_error
        raise StoreError(error.message if error else "the call was not stored", code=error.code if error else None)
    return outcome
