"""Request and response shapes: what /openapi.json and /docs describe, field by field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable snake_case code; docs/api.md lists them with their statuses")
    message: str
    hint: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    workers: int = Field(description="job worker processes of this server")


class AnalyzeResponse(BaseModel):
    """The call-analytics shape, plus the call's id and the batch fields (text, segments, …)."""

    model_config = ConfigDict(extra="allow")

    id: str
    transcript: str = Field(description="one 'SPEAKER_1: …' line per turn")
    speaker_timing: dict[str, float] = Field(description="seconds of speech per speaker")
    analysis: str | None = Field(description="the nine dimensions as 'Name: value' lines")
    summary: str | None
    generated_at: str


class QuestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)
    transcript: str | None = Field(default=None, max_length=1_000_000,
                                   description="'SPEAKER_1: …' lines, e.g. an analyze response's transcript")
    id: str | None = Field(default=None, max_length=64, description="a stored call's id, instead of transcript")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.transcript is None) == (self.id is None):
            raise ValueError("give exactly one of transcript and id")
        return self


class QuestionResponse(BaseModel):
    question: str
    answer: str
    quotes: list[str] = Field(description="transcript lines the answer rests on")
    analyzer: str
    model: str | None


class JobRequest(BaseModel):
    """A transcription job. In multipart, send the recording as the ``audio`` part and these as
    form fields (booleans ``true``/``false``; ``formats`` comma-separated or repeated)."""

    model_config = ConfigDict(extra="forbid")

    audio_url: str | None = Field(default=None, max_length=2048,
                                  description="https URL of the recording; fetched, never stored")
    channel: bool | None = Field(default=None, description="stereo: one speaker per channel")
    diarize: bool | None = Field(default=None, description="mono: model-based speaker turns")
    language: str | None = Field(default=None, max_length=35, description="BCP-47; left out: auto-detect")
    formats: list[Literal["json", "srt", "vtt", "txt", "rttm", "html"]] = Field(
        default_factory=list, max_length=6, description="files to make, each served from a signed URL")
    webhook_url: str | None = Field(default=None, max_length=2048,
                                    description="receives a signed event when the job completes or fails")
    num_speakers: int | None = Field(default=None, ge=1, le=32)
    min_speakers: int | None = Field(default=None, ge=1, le=32)
    max_speakers: int | None = Field(default=None, ge=1, le=32)
    redact: list[Literal["pii", "card", "phone", "email", "id", "number"]] = Field(
        default_factory=list, max_length=6,
        description="PII to replace in every output and the store before analysis: pii (all) or kinds")
    vocabulary: list[str] = Field(default_factory=list, max_length=50,
                                  description="names and terms the recogniser should prefer")

    @model_validator(mode="after")
    def _one_mode(self):
        if self.channel and self.diarize:
            raise ValueError("channel and diarize are exclusive: leave both out for auto")
        return self


class JobError(BaseModel):
    code: str
    message: str


class JobSegment(BaseModel):
    start: float
    end: float
    text: str
    speaker: str | None = Field(description="speaker_0, speaker_1, …")
    channel: int | None


class JobWord(JobSegment):
    probability: float | None


class JobResult(BaseModel):
    text: str
    speakers: int
    audio_seconds: float = Field(description="the billed quantity, as in X-Hearflow-Units")
    language: str | None
    mode: Literal["channel", "mono"]
    notes: list[str]
    segments: list[JobSegment]
    words: list[JobWord]
    formats: dict[str, str] = Field(description="format → signed, expiring URL")
    call_id: str = Field(description="the stored call: GET /api/v1/analytics/calls/{call_id}")


class Job(BaseModel):
    id: str
    status: JobStatus
    created_at: str
    started_at: str | None
    completed_at: str | None
    request: dict = Field(description="the options the job was submitted with")
    error: JobError | None
    result: JobResult | None = Field(description="null while unfinished, or when offloaded to result_url")
    result_url: str | None = Field(description="signed URL of the result when it is too large to inline")


class JobList(BaseModel):
    data: list[Job]
    next_cursor: str | None


class Deleted(BaseModel):
    id: str
    deleted: Literal[True]
