"""What a user chooses for one analysis. The digest of the resolved choices keys caches and ids."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hearflow.audiofile import DEFAULT_MAX_BYTES
from hearflow.models import Mode


class AnalyzeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "auto"
    diarizer: str = "none"
    diarizer_options: dict[str, Any] = Field(default_factory=dict)
    asr: str = "whisper"
    asr_options: dict[str, Any] = Field(default_factory=dict)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)


def digest(value: Any) -> str:
    """A stable hash of JSON-able data (keys sorted), for cache keys and call ids."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
