"""Secret options kept out of what an orchestrator records.

A Prefect run records its parameters, and the settings are one of them. Before a runner hands
settings over, every secret option (a ``SecretStr``, or a field hidden from its repr)
is taken out and put instead in the environment variable that stage reads it from, which this
process and the processes it starts (served runs) inherit. The stage then finds it there.
"""

from __future__ import annotations

import os

from pydantic import SecretStr

from hearflow.errors import ConfigError
from hearflow.settings import AnalyzeSettings


def secret_fields(stage) -> dict[str, list[str]]:
    """Secret option names of a stage class → the environment variables it reads them from. A
    secret is a ``SecretStr``, or a field hidden from its repr (excluded fields alone are not:
    device and batch size are left out of the call's identity, yet are no secret)."""
    secrets = {}
    for name, field in stage.Options.model_fields.items():
        if field.repr is False or field.annotation in (SecretStr, SecretStr | None):
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            secrets[name] = list(extra.get("env", []))
    return secrets


def withhold_secrets(settings: AnalyzeSettings, registry) -> AnalyzeSettings:
    """The settings without secret option values, each moved to its stage's environment variable."""
    data = settings.model_dump()
    # The stages that read each group of options: "auto" analyzers and the default diarizer read
    # their secrets from the environment already.
    groups = [("analyzer_options", data["analyzer_options"], [registry.find("analyzer", settings.analyzer)]),
              ("asr_options", data["asr_options"], [registry.find("asr", settings.asr)]),
              ("diarizer_options", data["diarizer_options"], [registry.find("separator", settings.diarizer or "")])]
    groups += [(f"sinks.{name}", options, [registry.find("sink", name)]) for name, options in data["sinks"].items()]
    for where, options, stages in groups:
        for stage in filter(None, stages):
            for name, env in secret_fields(stage).items():
                if options.get(name) is None:
                    continue
                if not env:
                    raise ConfigError(f"{where}.{name} is a secret that would be recorded as a run parameter",
                                      code="secret_in_parameters",
                                      hint="run with --runner inprocess, or leave it out of the config file")
                value = options.pop(name)
                os.environ[env[0]] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return AnalyzeSettings.model_validate(data)
