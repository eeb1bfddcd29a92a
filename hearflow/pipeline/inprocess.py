"""The ``inprocess`` runner: the step list in this process, nothing recorded to Prefect.

It is the default when no Prefect server is configured: a one-off call then pays for the
models alone, not for a temporary orchestration server. Engines are kept per settings, so a
process that runs many calls (an archive, an HTTP worker) loads each model once.
"""

from __future__ import annotations

import threading

from hearflow.pipeline.archive import run_archive, threads
from hearflow.pipeline.engine import Engine
from hearflow.pipeline.runner import run_call
from hearflow.pipeline.sources import expand_sources
from hearflow.plugins.hookspecs import hookimpl
from hearflow.plugins.stages import Runner
from hearflow.settings import AnalyzeSettings
from hearflow.store.store import Store

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine_for(settings: AnalyzeSettings) -> Engine:
    """One engine (and so one loaded model) per distinct settings, per process."""
    key = settings.model_dump_json()
    with _lock:
        if key not in _engines:
            _engines[key] = Engine(settings)
        return _engines[key]


class InProcessRunner(Runner):
    name = "inprocess"
    description = "every step in this process; nothing is recorded to Prefect"

    def analyze(self, source, settings, *, db_path, formats=(), out_dir=None, reuse=True):
        engine = engine_for(settings)
        store = Store(db_path)
        try:
            return run_call(engine, store, source, formats=formats, out_dir=out_dir, reuse=reuse)
        finally:
            store.close()

    def archive(self, sources, settings, *, db_path, pattern="**/*", workers=2, formats=(), out_dir=None,
                reuse=True, dask_address=None):
        if dask_address:
            from hearflow.errors import ConfigError

            raise ConfigError("running calls on Dask needs the prefect runner", code="invalid_options",
                              hint="add --runner prefect (with PREFECT_API_URL set, or a temporary server)")
        engine = engine_for(settings)
        store = Store(db_path)
        try:
            return run_archive(engine, store, expand_sources(list(sources), pattern), threads(engine, workers),
                               sources=list(sources), reuse=reuse, formats=formats, out_dir=out_dir)
        finally:
            store.close()


@hookimpl
def register_runners(register):
    register(InProcessRunner)


