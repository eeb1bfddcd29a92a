"""The data model shared by every stage. Times are float seconds from the start of the call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["auto", "channel", "mono"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Word(_Frozen):
    start: float
    end: float
    text: str
    probability: float | None = None
    speaker: str | None = None
    channel: int | None = None


class Segment(_Frozen):
    start: float
    end: float
    text: str
    speaker: str | None = None
    channel: int | None = None
    words: tuple[Word, ...] = ()


class Turn(_Frozen):
    """A stretch of time in which one speaker talks."""

    start: float
    end: float
    speaker: str
    channel: int | None = None


@dataclass(frozen=True)
class Audio:
    """Decoded samples, one row per channel, float32 in [-1, 1] at the file's own rate."""

    samples: np.ndarray
    sample_rate: int
    sha256: str
    format: str
    source: str
    size_bytes: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0, dtype=np.float32)


@dataclass(frozen=True)
class Track:
    """Samples that one ASR pass transcribes; words found in it go to ``speaker`` when set."""

    samples: np.ndarray
    sample_rate: int
    speaker: str | None = None
    channel: int | None = None


@dataclass(frozen=True)
class Separation:
    """What the separate stage decided: tracks to transcribe and, for mono, speaker turns."""

    mode: Literal["channel", "mono"]
    tracks: tuple[Track, ...]
    turns: tuple[Turn, ...] = ()
    diarized: bool = False
    notes: tuple[str, ...] = field(default=())


class Transcript(_Frozen):
    segments: tuple[Segment, ...]
    language: str | None = None
    language_probability: float | None = None
    model: str | None = None


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class CallResult(BaseModel):
    """One analysed call. ``to_response()`` gives the shape users of hosted APIs know."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    sha256: str
    format: str
    mode: Literal["channel", "mono"]
    diarized: bool
    language: str | None
    model: str | None
    audio_seconds: float
    channels: int
    sample_rate: int
    segments: tuple[Segment, ...]
    speaker_timing: dict[str, float]
    notes: tuple[str, ...] = ()
    options: dict[str, Any] = Field(default_factory=dict)
    generated_at: str = Field(default_factory=utc_now)

    @property
    def speakers(self) -> list[str]:
        return sorted(self.speaker_timing, key=speaker_sort_key)

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments).strip()

    @property
    def transcript(self) -> str:
        """``SPEAKER_1: …`` lines, consecutive segments of one speaker joined."""
        lines: list[tuple[str, list[str]]] = []
        for segment in self.segments:
            speaker = segment.speaker or "SPEAKER_1"
            if lines and lines[-1][0] == speaker:
                lines[-1][1].append(segment.text)
            else:
                lines.append((speaker, [segment.text]))
        return "\n".join(f"{speaker}: {' '.join(texts)}" for speaker, texts in lines)

    def to_response(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transcript": self.transcript,
            "speaker_timing": self.speaker_timing,
            "analysis": None,
            "summary": None,
            "generated_at": self.generated_at,
            "text": self.text,
            "speakers": len(self.speaker_timing),
            "audio_seconds": round(self.audio_seconds, 3),
            "language": self.language,
            "mode": self.mode,
            "diarized": self.diarized,
            "notes": list(self.notes),
            "segments": [segment.model_dump() for segment in self.segments],
            "source": {"name": self.source, "sha256": self.sha256, "format": self.format,
                       "channels": self.channels, "sample_rate": self.sample_rate},
            "model": self.model,
        }


def speaker_sort_key(name: str) -> tuple[int, str]:
    tail = name.rsplit("_", 1)[-1]
    return (int(tail), name) if tail.isdigit() else (1 << 30, name)
