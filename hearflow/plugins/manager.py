"""The plugin manager: which plugins load, and the one place hooks are called.

Plugins come from the ``hearflow`` entry-point group (the built-in ones too), from the core's
own in-process runner, and from every ``*.py`` file in ``$HEARFLOW_PLUGINS_DIR`` (or
``hearflow --plugins-dir DIR``), so a hook can be tried without packaging it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from hearflow.errors import ConfigError, HearflowError
from hearflow.plugins import hookspecs
from hearflow.plugins.registry import REGISTRATION_HOOKS, Registry

log = logging.getLogger("hearflow")

ENTRY_POINT_GROUP = "hearflow"
# Comma-separated entry-point names to load; unset loads all, empty loads none.
PLUGINS_ENV = "HEARFLOW_PLUGINS"
PLUGINS_DIR_ENV = "HEARFLOW_PLUGINS_DIR"
CORE_PLUGINS = ("hearflow.pipeline.inprocess",)  # stages the core itself provides

_cached: dict[tuple, pluggy.PluginManager] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with the core's plugins, the entry points (or those in $HEARFLOW_PLUGINS)
    and the files of $HEARFLOW_PLUGINS_DIR loaded."""
    pm = pluggy.PluginManager("hearflow")
    pm.add_hookspecs(hookspecs)
    for name in CORE_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    allowed = os.environ.get(PLUGINS_ENV)
    wanted = None if allowed is None else {name.strip() for name in allowed.split(",") if name.strip()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if (wanted is None or ep.name in wanted) and pm.get_plugin(ep.name) is None:
            pm.register(_load(ep.load, f"plugin '{ep.name}' ({ep.value})"), name=ep.name)
    _load_directory(pm, os.environ.get(PLUGINS_DIR_ENV))
    return pm


def _load(load, what: str):
    """A plugin that fails to import is named in a coded error, not a traceback."""
    try:
        return load()
    except Exception as exc:
        raise ConfigError(f"{what} failed to load: {type(exc).__name__}: {exc}", code="plugin_failed",
                          hint=f"uninstall it, or leave it out with {PLUGINS_ENV}=<the other plugins>") from None


def plugin_manager() -> pluggy.PluginManager:
    """The manager for the current plugin settings, built once per process and reused (a new
    one when the settings or the import path, where entry points are found, change)."""
    key = (os.environ.get(PLUGINS_ENV), os.environ.get(PLUGINS_DIR_ENV), tuple(sys.path))
    if key not in _cached:
        _cached[key] = get_plugin_manager()
    return _cached[key]


def _load_directory(pm: pluggy.PluginManager, directory: str | None) -> None:
    if not directory:
        return
    folder = Path(directory).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"plugins directory {folder} does not exist", code="invalid_config",
                          hint=f"unset {PLUGINS_DIR_ENV} or point it at a directory of *.py plugins")
    for path in sorted(folder.glob("*.py")):
        name = f"hearflow_local_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        _load(lambda: spec.loader.exec_module(module), f"plugin file {path}")
        pm.register(module, name=path.name)


def call_hook(pm: pluggy.PluginManager, hook_name: str, *, strict: bool, per_plugin=None, **kwargs) -> list:
    """Call every implementation of a hook, in pluggy's order, each on its own.

    strict: a failing implementation stops the call with a coded error naming the plugin (for
    registration, where a half-registered plugin is worse than none). Otherwise the failure is
    logged and the other plugins are still called (events: one faulty plugin must not undo a call).
    ``per_plugin(plugin_name)`` gives arguments of that plugin's own (a register callback that
    knows who registers).
    """
    results = []
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        arguments = {**kwargs, **(per_plugin(impl.plugin_name) if per_plugin else {})}
        try:
            results.append(impl.function(**{arg: arguments[arg] for arg in impl.argnames}))
        except Exception as exc:
            if not strict:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
            elif isinstance(exc, HearflowError):
                raise
            else:
                raise ConfigError(f"plugin '{impl.plugin_name}' failed in {hook_name}: {type(exc).__name__}: {exc}",
                                  code="plugin_failed") from exc
    return results


def build_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """Ask every plugin to register its stages, remembering which plugin gave which stage."""
    pm = pm or plugin_manager()
    registry = Registry()
    for hook_name, kind in REGISTRATION_HOOKS.items():
        def registrar(plugin, _kind=kind, _hook=hook_name):
            def register(stage):
                if getattr(stage, "kind", None) != _kind:
                    raise ConfigError(f"plugin '{plugin}' registered {stage!r} through {_hook}, "
                                      f"which takes {_kind} stages", code="invalid_stage")
                registry.register(stage, plugin)

            return {"register": register}

        call_hook(pm, hook_name, strict=True, per_plugin=registrar)
    return registry
