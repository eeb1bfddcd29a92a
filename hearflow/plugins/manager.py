"""Plugin manager and the stage registry it feeds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import entry_points

import pluggy

from hearflow.plugins import hookspecs
from hearflow.errors import ConfigError
from hearflow.plugins.stages import STAGE_KINDS, Stage

ENTRY_POINT_GROUP = "hearflow"
# Comma-separated entry-point names to load; unset loads all, empty loads none.
PLUGINS_ENV = "HEARFLOW_PLUGINS"

# Which registration hook feeds which kind of stage.
REGISTRATION_HOOKS = {
    "register_decoders": "decoder",
    "register_separators": "separator",
    "register_asr_backends": "asr",
    "register_formatters": "formatter",
    "register_metrics": "metric",
    "register_analyzers": "analyzer",
    "register_sinks": "sink",
}


def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with every ``hearflow`` entry point loaded (or those in $HEARFLOW_PLUGINS)."""
    pm = pluggy.PluginManager("hearflow")
    pm.add_hookspecs(hookspecs)
    allowed = os.environ.get(PLUGINS_ENV)
    if allowed is None:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        return pm
    wanted = {name.strip() for name in allowed.split(",") if name.strip()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in wanted and pm.get_plugin(ep.name) is None:
            pm.register(ep.load(), name=ep.name)
    return pm


@dataclass(frozen=True)
class Registration:
    stage: type[Stage]
    plugin: str


class Registry:
    """Stages by kind and name. A name can be registered once per kind."""

    def __init__(self) -> None:
        self._stages: dict[str, dict[str, Registration]] = {kind: {} for kind in STAGE_KINDS}

    def register(self, stage: type[Stage], plugin: str = "<direct>") -> None:
        kind = getattr(stage, "kind", None)
        if kind not in self._stages or not issubclass(stage, STAGE_KINDS[kind]):
            raise ConfigError(f"{stage!r} is not a hearflow stage class", code="invalid_stage")
        taken = self._stages[kind].get(stage.name)
        if taken is not None:
            raise ConfigError(
                f"{kind} '{stage.name}' from plugin '{plugin}' clashes with the one "
                f"from plugin '{taken.plugin}'",
                code="duplicate_stage",
            )
        self._stages[kind][stage.name] = Registration(stage, plugin)

    def get(self, kind: str, name: str) -> type[Stage]:
        try:
            return self._stages[kind][name].stage
        except KeyError:
            known = ", ".join(sorted(self._stages.get(kind, {}))) or "none"
            raise ConfigError(f"no {kind} named '{name}' (known: {known})", code="unknown_stage") from None

    def find(self, kind: str, name: str) -> type[Stage] | None:
        registration = self._stages.get(kind, {}).get(name)
        return registration.stage if registration else None

    def names(self, kind: str) -> list[str]:
        return sorted(self._stages[kind])

    def stages(self, kind: str) -> list[type[Stage]]:
        return [self._stages[kind][name].stage for name in self.names(kind)]

    def registrations(self) -> list[tuple[str, Registration]]:
        return [(kind, reg) for kind, regs in self._stages.items() for reg in regs.values()]


def build_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """Ask every plugin to register its stages, remembering which plugin gave which stage."""
    pm = pm or get_plugin_manager()
    registry = Registry()
    for hook_name, kind in REGISTRATION_HOOKS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            def register(stage, _kind=kind, _plugin=impl.plugin_name):
                if getattr(stage, "kind", None) != _kind:
                    raise ConfigError(
                        f"plugin '{_plugin}' registered {stage!r} through {hook_name}, "
                        f"which takes {_kind} stages",
                        code="invalid_stage",
                    )
                registry.register(stage, _plugin)

            impl.function(register=register)
    return registry
