"""Every hook a hearflow plugin can implement. docs/plugin-hooks.md documents each one."""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("hearflow")
hookimpl = pluggy.HookimplMarker("hearflow")

# Registration hooks are called on every plugin (no firstresult): each plugin adds its own
# stages and the registry rejects a name that is taken. None is historic, because the
# registry is built once from a fully loaded plugin manager.


@hookspec
def register_decoders(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Decoder` subclasses: ``register(MyDecoder)``."""


@hookspec
def register_separators(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Separator` subclasses (channel split, diarizers)."""


@hookspec
def register_asr_backends(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.AsrBackend` subclasses (speech-to-text engines)."""


@hookspec
def register_formatters(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Formatter` subclasses (output formats)."""


@hookspec
def register_metrics(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Metric` subclasses; every registered metric runs on every call."""


@hookspec
def register_analyzers(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Analyzer` subclasses (LLM or rule-based call analysis)."""


@hookspec
def register_sinks(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Sink` subclasses (where finished calls are delivered)."""


@hookspec
def register_runners(register: Callable[[type], None]) -> None:
    """Register :class:`hearflow.Runner` subclasses: how the step list is executed
    (``inprocess`` in the core, ``prefect`` in ``hearflow_flows``), chosen by ``--runner``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``hearflow`` click group: ``@cli.command()``."""


@hookspec
def register_migrations(register: Callable[[Any], None]) -> None:
    """Register a ``sqlite_utils`` migration set: ``register(migrations)``.

    Each set keeps its own record of applied steps, so a plugin's tables evolve on their own.
    """


@hookspec
def on_call_complete(result: Any, db: Any) -> None:
    """Called once per analysed call after it is stored, with the ``CallResult`` and the
    ``sqlite_utils.Database``. Every plugin is called; an exception is logged, not raised,
    so one faulty plugin cannot lose a finished call."""
