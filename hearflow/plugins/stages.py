"""Base classes for pipeline stages. A plugin subclasses one and registers it by name."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hearflow.errors import ConfigError, StageUnavailableError
from hearflow.models import Audio, Separation, Track

if TYPE_CHECKING:
    import numpy as np

    from hearflow.models import AnalysisRecord, Answer, CallResult, DeliveryReport, Transcript, Turn


class StageOptions(BaseModel):
    """Options of one stage. Unknown keys are errors, so a typo never becomes a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage:
    """Common surface of every stage: a unique name, options, and what it needs to run."""

    kind: ClassVar[str] = "stage"
    name: ClassVar[str]
    description: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()  # importable modules the stage needs at run time
    extra: ClassVar[str | None] = None  # the hearflow extra that installs them
    install_note: ClassVar[str | None] = None  # what to know before installing that extra
    network: ClassVar[bool] = False  # touches a network: the flow retries it

    class Options(StageOptions):
        pass

    def __init__(self, options: StageOptions | dict[str, Any] | None = None):
        self.options = self.parse_options(options)

    @classmethod
    def parse_options(cls, options: StageOptions | dict[str, Any] | None) -> StageOptions:
        if isinstance(options, cls.Options):
            return options
        try:
            return cls.Options.model_validate(dict(options or {}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'options'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{cls.kind} '{cls.name}': {problems}", code="invalid_options") from None

    def prepare(self) -> None:
        """Check the stage can run (model present, options coherent) before any audio work."""

    @classmethod
    def missing_modules(cls) -> list[str]:
        return [module for module in cls.requires if not _importable(module)]

    @classmethod
    def available(cls) -> bool:
        return not cls.missing_modules()

    @classmethod
    def install_hint(cls) -> str | None:
        if not cls.extra:
            return None
        command = f"pip install 'hearflow[{cls.extra}]'"
        return f"{command} ({cls.install_note})" if cls.install_note else command

    @classmethod
    def ensure_available(cls) -> None:
        missing = cls.missing_modules()
        if missing:
            hint = cls.install_hint() or f"pip install {' '.join(missing)}"
            raise StageUnavailableError(
                f"{cls.kind} '{cls.name}' needs {', '.join(missing)}, which is not installed",
                hint=hint,
            )


def _importable(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (a dotted name whose parent is
    missing counts as missing, rather than raising)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class Decoder(Stage):
    """Turns a file into samples, keeping every channel. Implement ``blocks`` (the file a block
    at a time: the pipeline resamples each block as it comes, so a long call is never held whole
    at its own rate) or ``decode`` (the whole file at once); each has a default made of the other."""

    kind = "decoder"
    formats: ClassVar[frozenset[str]] = frozenset()  # sniffed format names it handles

    def blocks(self, path: Path, *, format: str) -> tuple[int, int, Iterator[np.ndarray]]:
        """``(sample rate, channels, blocks)``, each block ``(channels, n)`` float32 in [-1, 1]."""
        if type(self).decode is Decoder.decode:
            raise NotImplementedError(f"decoder '{self.name}' implements neither blocks nor decode")
        audio = self.decode(path, format=format, sha256="", size_bytes=0)
        return audio.sample_rate, audio.channels, iter((audio.samples,))

    def decode(self, path: Path, *, format: str, sha256: str, size_bytes: int) -> Audio:
        """The whole file at its own rate."""
        import numpy as np

        rate, channels, blocks = self.blocks(path, format=format)
        parts = list(blocks)
        samples = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)
        return Audio(samples, rate, sha256, format, str(path), size_bytes)


class SpeakerHints(StageOptions):
    """The speaker-count hints every diarizer takes (``--num-speakers`` and friends)."""

    num_speakers: int | None = Field(default=None, ge=1, description="exact count, when known")
    min_speakers: int = Field(default=1, ge=1)
    max_speakers: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _coherent_counts(self):
        if self.max_speakers is not None and self.min_speakers > self.max_speakers:
            raise ValueError(f"min_speakers ({self.min_speakers}) exceeds max_speakers ({self.max_speakers})")
        if self.num_speakers is not None and (
                self.num_speakers < self.min_speakers
                or (self.max_speakers is not None and self.num_speakers > self.max_speakers)):
            raise ValueError(f"num_speakers ({self.num_speakers}) lies outside min_speakers..max_speakers")
        return self


class Separator(Stage):
    """Decides who speaks when: one track per channel, or turns on a mono track.

    A diarizer (a separator for mono calls) takes :class:`SpeakerHints` in its options.
    """

    kind = "separator"

    def separate(self, audio: Audio) -> Separation:
        raise NotImplementedError


class MonoDiarizer(Separator):
    """A diarizer: turns with speakers on the mixed-down call. Subclasses implement ``diarize``
    (or ``diarize_views``, when the model also sees overlapping speech); this class makes the
    separation every diarizer returns."""

    class Options(SpeakerHints):
        # Where the model runs; like the recogniser's, not part of the call's identity.
        device: Literal["auto", "cpu", "cuda"] = Field(default="auto", exclude=True)

    def separate(self, audio: Audio) -> Separation:
        return self.separate_track(Track(audio.mono(), audio.sample_rate))

    def separate_track(self, track: Track) -> Separation:
        """The separation of the mixed-down call, given as a track (the pipeline makes it before
        diarizing, so recognition can start on it at the same time)."""
        exclusive, overlapped = self.diarize_views(track.samples, track.sample_rate)
        notes = () if exclusive else ("diarization found no speech",)
        return Separation(mode="mono", tracks=(track,), turns=tuple(exclusive), overlapped=tuple(overlapped),
                          diarized=True, notes=notes)

    def diarize(self, samples: np.ndarray, sample_rate: int) -> list[Turn]:
        """Speaker turns of one mono track, one speaker at a time."""
        raise NotImplementedError

    def diarize_views(self, samples: np.ndarray, sample_rate: int) -> tuple[list[Turn], list[Turn]]:
        """The exclusive turns (words are attributed by them) and the overlapping ones (empty when
        the model does not see overlap)."""
        return self.diarize(samples, sample_rate), []


class AsrBackend(Stage):
    """Speech to text with word timestamps."""

    kind = "asr"

    def transcribe(self, samples: np.ndarray, sample_rate: int, *, progress=None,
                   detected: tuple[str | None, float] | None = None) -> Transcript:
        """Transcribe one mono track. ``progress(fraction)`` may be called as work advances.
        ``detected`` is what :meth:`call_language` found for the whole call, when it found it."""
        raise NotImplementedError

    def call_language(self, tracks) -> tuple[str | None, float] | None:
        """The language of a call of several tracks (a stereo call's channels), found once for all
        of them before they are transcribed side by side: (code, probability), code None when no
        track has speech. None (the default): each track is left to find its own."""
        return None


class Formatter(Stage):
    """Renders a :class:`~hearflow.models.CallResult` as text in one output format."""

    kind = "formatter"
    extension: ClassVar[str]

    def render(self, result: CallResult) -> str:
        raise NotImplementedError


class Metric(Stage):
    """Measures something about an attributed call; the report lands in ``result.metrics[name]``."""

    kind = "metric"

    def measure(self, result: CallResult) -> BaseModel | dict[str, Any]:
        raise NotImplementedError


class Analyzer(Stage):
    """Turns a transcript (and its metrics) into a :class:`~hearflow.models.CallAnalysis` and answers
    questions about it. Raise :class:`~hearflow.errors.AnalysisError` when no valid answer came."""

    kind = "analyzer"
    heuristic: ClassVar[bool] = False

    def configured(self) -> bool:
        """Whether it can run as the default (a key or endpoint is set up)."""
        return self.available()

    def analyze(self, result: CallResult) -> AnalysisRecord:
        raise NotImplementedError

    def ask(self, result: CallResult, question: str) -> Answer:
        raise NotImplementedError


class Sink(Stage):
    """Sends a stored call somewhere else (a webhook, a queue). Runs after the call is stored, so a
    failed delivery never loses the call; every attempt is reported and logged."""

    kind = "sink"
    network = True

    def deliver(self, result: CallResult) -> list[DeliveryReport]:
        """Deliver, retrying as the sink sees fit; one report per target, never raise for a refusal."""
        raise NotImplementedError


class Runner(Stage):
    """Executes the pipeline's step list for the interfaces (CLI, HTTP service), which ask for a
    runner by name instead of knowing how runs are orchestrated. Both methods end every call in
    the one tail (``hearflow.pipeline.tail``)."""

    kind = "runner"

    @classmethod
    def preferred(cls) -> bool:
        """Whether this runner should be the default here (e.g. its server is configured)."""
        return False

    def analyze(self, source: str, settings, *, db_path: str | None, formats=(), out_dir=None,
                reuse: bool = True):
        """One recording; returns a :class:`hearflow.pipeline.tail.CallOutcome`."""
        raise NotImplementedError

    def archive(self, sources: list[str], settings, *, db_path: str | None, pattern: str = "**/*",
                workers: int = 2, formats=(), out_dir=None, reuse: bool = True, dask_address: str | None = None):
        """Many recordings; returns a :class:`hearflow.pipeline.archive.ArchiveSummary`."""
        raise NotImplementedError

    def work_pool_jobs(self, pool: str):
        """The HTTP API's jobs as runs on a work pool of workers (``hearflow api --prefect``): an
        object with ``start(job_id, parameters) -> run id`` (the same run when asked again for the
        same job), ``outcomes(run ids)`` (a map from each to None until the run ends, then
        "completed" or what ended it)
        and ``close()``. None: this runner cannot hand jobs to other machines."""
        return None

    def close(self) -> None:
        """Release what the runner started for its runs (a temporary server, say)."""


STAGE_KINDS: dict[str, type[Stage]] = {
    base.kind: base for base in (Decoder, Separator, AsrBackend, Formatter, Metric, Analyzer, Sink, Runner)
}
