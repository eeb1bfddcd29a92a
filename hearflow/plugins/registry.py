"""The stage registry: stages by kind and name, fed by the plugins' registration hooks."""

from __future__ import annotations

from dataclasses import dataclass

from hearflow.errors import ConfigError
from hearflow.plugins.stages import STAGE_KINDS, Stage

# Which registration hook feeds which kind of stage.
REGISTRATION_HOOKS = {
    "register_decoders": "decoder",
    "register_separators": "separator",
    "register_asr_backends": "asr",
    "register_formatters": "formatter",
    "register_metrics": "metric",
    "register_analyzers": "analyzer",
    "register_sinks": "sink",
    "register_runners": "runner",
}


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
