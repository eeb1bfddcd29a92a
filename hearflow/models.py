"""The data model shared by every stage. Times are float seconds from the start of the call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

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
    """Decoded samples, one row per channel, float32 in [-1, 1], at ``sample_rate``: the rate the
    stages work at when decode resampled (16 kHz), else the file's own. ``file_rate`` is always
    the recording's own rate. The rows are read-only: stages never change their input."""

    samples: np.ndarray
    sample_rate: int
    sha256: str
    format: str
    source: str
    size_bytes: int
    file_rate: int = 0  # 0: the same as sample_rate

    def __post_init__(self):
        if not self.file_rate:
            object.__setattr__(self, "file_rate", self.sample_rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        """The channels' mean; for a mono recording its one row itself, not a copy."""
        if self.channels == 1:
            return self.samples[0]
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
    turns: tuple[Turn, ...] = ()  # exclusive: one speaker at a time; words are attributed by these
    diarized: bool = False
    notes: tuple[str, ...] = field(default=())
    overlapped: tuple[Turn, ...] = ()  # the diarizer's view with simultaneous speech, when it has one
    separator: str = ""  # the stage that decided, recorded on the result


class Transcript(_Frozen):
    segments: tuple[Segment, ...]
    language: str | None = None
    language_probability: float | None = None
    model: str | None = None


class SpeakerStats(_Frozen):
    talk_time: float  # seconds: the sum of the speaker's segment durations
    talk_ratio: float  # share of all talk time, silence excluded (0..1)
    words: int
    words_per_minute: float  # words over talk time
    longest_monologue: float  # seconds of the longest run not broken by another speaker
    questions: int  # sentences ending in "?"


class ConversationMetrics(_Frozen):
    speakers: dict[str, SpeakerStats]
    agent: str | None  # which speaker is the agent, and by which rule
    agent_rule: str
    switches: int  # changes of speaker between consecutive segments
    interactivity: float  # switches per minute of audio
    patience: float | None  # mean pause (s) before the agent answers the customer
    silence_share: float  # share of the call where nobody speaks (0..1)
    overlaps: int  # times a speaker starts while another is still talking


class TrackerHit(_Frozen):
    tracker: str
    phrase: str
    start: float
    end: float
    speaker: str | None
    text: str  # the segment the phrase was found in


class TrackerReport(_Frozen):
    hits: tuple[TrackerHit, ...]
    counts: dict[str, int]  # tracker → hits
    bin_seconds: float
    bins: dict[str, list[int]]  # tracker → hits per time bin, so "pricing near the end" shows


Sentiment = Literal["positive", "neutral", "negative", "mixed"]
Level = Literal["low", "medium", "high"]


class CallAnalysis(BaseModel):
    """The nine analysis dimensions and a one-line summary. Analyzers must fill every field."""

    model_config = ConfigDict(extra="forbid")

    sentiment: Sentiment = Field(description="customer sentiment over the call")
    intent: str = Field(description="why the customer called, a short phrase")
    resolution: Literal["resolved", "partially_resolved", "unresolved", "escalated"]
    agent_performance: Literal["excellent", "good", "fair", "poor"]
    escalation_risk: Level
    key_topics: list[str] = Field(description="up to 6 short topics")
    action_items: list[str] = Field(description="follow-ups promised or needed, each one line")
    compliance: Literal["compliant", "issues_found", "not_applicable"]
    compliance_notes: list[str] = Field(default_factory=list, description="what was missing or wrong")
    satisfaction_score: int = Field(ge=1, le=5, description="expected customer satisfaction, 1 (worst) to 5")
    summary: str = Field(description="one line")

    def as_text(self) -> str:
        """The plain-text block of the call-analytics response (``Customer Sentiment: Neutral``…)."""
        notes = f" ({'; '.join(self.compliance_notes)})" if self.compliance_notes else ""
        lines = [
            ("Customer Sentiment", _label(self.sentiment)), ("Intent", self.intent),
            ("Resolution", _label(self.resolution)), ("Agent Performance", _label(self.agent_performance)),
            ("Escalation Risk", _label(self.escalation_risk)), ("Key Topics", ", ".join(self.key_topics) or "none"),
            ("Action Items", "; ".join(self.action_items) or "none"),
            ("Compliance", _label(self.compliance) + notes), ("Satisfaction Score", f"{self.satisfaction_score}/5"),
        ]
        return "\n".join(f"{name}: {value}" for name, value in lines)


def _label(choice: str) -> str:
    return choice.replace("_", " ").capitalize()


class ErrorInfo(_Frozen):
    code: str
    message: str


class AnalysisRecord(_Frozen):
    """What an analyzer produced for a call: the analysis, or the error that stopped it."""

    analyzer: str
    model: str | None = None
    heuristic: bool = False  # True: rules and lexicons, not a language model
    analysis: CallAnalysis | None = None
    error: ErrorInfo | None = None
    usage: dict[str, int] = Field(default_factory=dict)  # tokens in/out, summed over attempts
    attempts: int = 1


class Answer(_Frozen):
    question: str
    answer: str
    quotes: tuple[str, ...] = ()  # transcript lines the answer relies on
    analyzer: str
    model: str | None = None
    usage: dict[str, int] = Field(default_factory=dict)


class DeliveryAttempt(_Frozen):
    attempt: int  # 1-based
    at: str  # UTC time the attempt started
    status: int | None  # HTTP status, None when no response came
    error: str | None = None
    seconds: float = 0.0


class DeliveryReport(_Frozen):
    """What one sink did with one call: every attempt, and whether it finally got through."""

    sink: str
    target: str  # e.g. the webhook URL
    delivered: bool
    attempts: tuple[DeliveryAttempt, ...]


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_Report = TypeVar("_Report", bound=BaseModel)


class CallResult(BaseModel):
    """One analysed call. ``to_response()`` gives the shape users of hosted APIs know."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    sha256: str
    format: str
    mode: Literal["channel", "mono"]
    diarized: bool
    separator: str | None = None  # which separator decided the speakers: channel, embedded, none, …
    language: str | None
    model: str | None
    audio_seconds: float
    channels: int
    sample_rate: int
    segments: tuple[Segment, ...]
    speaker_timing: dict[str, float]
    notes: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = ()  # diarizer turns, overlapping where two spoke at once; () for channel split
    options: dict[str, Any] = Field(default_factory=dict)
    generated_at: str = Field(default_factory=utc_now)
    metrics: dict[str, Any] = Field(default_factory=dict)  # metric stage name → its JSON report
    analysis: AnalysisRecord | None = None

    def report(self, metric: str, model: type[_Report]) -> _Report | None:
        """The report of the metric stage named ``metric``, read as ``model`` (None if it did not run)."""
        data = self.metrics.get(metric)
        return model.model_validate(data) if data else None

    @property
    def speakers(self) -> list[str]:
        return sorted(self.speaker_timing, key=speaker_sort_key)

    @property
    def has_speech(self) -> bool:
        """False for silence, noise or a file too short to hold a word: nothing to analyse."""
        return any(segment.text.strip() for segment in self.segments)

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
            "analysis": self.analysis.analysis.as_text() if self.analysis and self.analysis.analysis else None,
            "summary": self.analysis.analysis.summary if self.analysis and self.analysis.analysis else None,
            "generated_at": self.generated_at,
            "text": self.text,
            "speakers": len(self.speaker_timing),
            "audio_seconds": round(self.audio_seconds, 3),
            "language": self.language,
            "mode": self.mode,
            "diarized": self.diarized,
            "separator": self.separator,
            "notes": list(self.notes),
            "segments": [segment.model_dump() for segment in self.segments],
            "turns": [turn.model_dump(exclude_none=True) for turn in self.turns],
            "source": {"name": self.source, "sha256": self.sha256, "format": self.format,
                       "channels": self.channels, "sample_rate": self.sample_rate},
            "model": self.model,
            "metrics": self.metrics,
            "insights": self.analysis.model_dump() if self.analysis else None,
        }


def speaker_sort_key(name: str) -> tuple[int, str]:
    tail = name.rsplit("_", 1)[-1]
    return (int(tail), name) if tail.isdigit() else (1 << 30, name)
