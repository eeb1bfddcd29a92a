"""The stages chosen for one set of settings, and the work of each pipeline step.

The order of the steps is not here: ``hearflow.pipeline.steps`` lists it, and every runner (in
this process, or Prefect tasks in ``hearflow_flows``) walks that list. Nothing here imports Prefect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hearflow.pipeline.attribute import attribute, speaker_timing
from hearflow.pipeline.redact import redact_result
from hearflow.media.audio import STAGE_RATE
from hearflow.media.audiofile import Fingerprint, fingerprint
from hearflow.media.blas import single_threaded_blas
from hearflow.media.heap import return_large_buffers
from hearflow.media.isolated import decode_with_limit
from hearflow.errors import ConfigError, HearflowError, InputError
from hearflow.models import (AnalysisRecord, Answer, Audio, CallResult, DeliveryReport, ErrorInfo, Segment,
                             Separation, Track, Transcript)
from hearflow.output.files import expand_formats
from hearflow.plugins.manager import Registry, build_registry
from hearflow.progress import report
from hearflow.media.separation import fake_stereo_reason
from hearflow.settings import DEFAULT_DIARIZER, AnalyzeSettings, digest
from hearflow.plugins.stages import Analyzer, AsrBackend, Decoder, Metric, MonoDiarizer, Separator, Sink


NO_SPEECH_NOTE = "no speech found: the call was not analysed"
TRACKS_AT_ONCE = 2


class Engine:
    def __init__(self, settings: AnalyzeSettings | None = None, registry: Registry | None = None):
        return_large_buffers()  # before any model allocates: freed piece buffers leave the resident set
        single_threaded_blas()  # stages run side by side in threads; OpenBLAS is not safe entered twice
        self.settings = settings or AnalyzeSettings()
        self.registry = registry or build_registry()
        self.asr: AsrBackend = self._stage("asr", self.settings.asr, self.settings.asr_options)
        # diarizer_notes: why mono calls are not diarized, when the default diarizer is missing
        self.diarizer, self.diarizer_notes = self._diarizer()
        self.metrics: list[Metric] = self._metrics()
        self.analyzer: Analyzer | None = self._analyzer()
        self.sinks: list[Sink] = [self._stage("sink", name, options) for name, options in self.settings.sinks.items()]

    def _stage(self, kind: str, name: str, options: dict):
        stage_class = self.registry.get(kind, name)
        stage_class.ensure_available()
        if "device" not in stage_class.Options.model_fields:  # a placement hint: a stage with no model ignores it
            options = {key: value for key, value in options.items() if key != "device"}
        return stage_class(options)

    def _diarizer(self) -> tuple[Separator, tuple[str, ...]]:
        name = self.settings.diarizer
        if name is not None:
            return self._stage("separator", name, self.settings.diarizer_options), ()
        # Not chosen: the offline default when its extra is installed, else none, saying why.
        default = self.registry.find("separator", DEFAULT_DIARIZER)
        if default is not None and default.available():
            return self._stage("separator", default.name, self.settings.diarizer_options), ()
        hint = default.install_hint() if default else None
        note = f"the default diarizer '{DEFAULT_DIARIZER}' is not installed" + (f" ({hint})" if hint else "")
        return self._stage("separator", "none", self.settings.diarizer_options), (note,)

    def _metrics(self) -> list[Metric]:
        known = self.registry.names("metric")
        for name in self.settings.metrics:
            if name not in known:
                raise ConfigError(f"no metric named '{name}' (known: {', '.join(known) or 'none'})",
                                  code="unknown_stage")
        return [m(self.settings.metrics.get(m.name)) for m in self.registry.stages("metric") if m.available()]

    def _analyzer(self) -> Analyzer | None:
        name = self.settings.analyzer
        if name == "none":
            return None
        if name != "auto":
            return self._stage("analyzer", name, self.settings.analyzer_options)
        # auto: a language-model analyzer whose key is configured, else the heuristic one.
        candidates = [a(self.settings.analyzer_options if a.name == "offline" else {})
                      for a in self.registry.stages("analyzer") if a.available()]
        configured = [a for a in candidates if not a.heuristic and a.configured()]
        fallback = [a for a in candidates if a.heuristic]
        chosen = configured[:1] or fallback[:1]
        return chosen[0] if chosen else None

    # -- identity -----------------------------------------------------------------------------

    def transcription_options(self) -> dict:
        """The choices that shape the transcript, defaults filled in. They make the call id."""
        options = {
            "mode": self.settings.mode,
            "asr": _described(self.asr),
            "diarizer": _described(self.diarizer),
        }
        if self.settings.redact:  # only when on, so calls stored before redaction existed keep their ids
            options["redact"] = list(self.settings.redact)
        return options

    def resolved_options(self) -> dict:
        """Every choice that changes the stored result, defaults filled in."""
        return {
            **self.transcription_options(),
            "metrics": [_described(m) for m in self.metrics],
            "analyzer": _described(self.analyzer) if self.analyzer else None,
        }

    def call_id(self, sha256: str) -> str:
        """Same bytes + same transcription options = same call; the analysis may be redone."""
        return digest({"audio": sha256, "options": self.transcription_options()})[:16]

    def stage_key(self, stage: str, sha256: str) -> str:
        options = self.transcription_options()
        relevant = {"decode": {}, "transcribe": options,
                    "analyze": _described(self.analyzer) if self.analyzer else None}[stage]
        return f"hearflow-{stage}-{sha256[:32]}-{digest(relevant)[:16]}"

    # -- steps --------------------------------------------------------------------------------

    def check_formats(self, formats: Sequence[str] = ()) -> None:
        """An unknown format fails before anything is read."""
        for name in expand_formats(self.registry, formats):
            self.registry.get("formatter", name)

    def prepare(self, formats: Sequence[str] = ()) -> None:
        """Fail on a bad model, language or format before any audio work (loads the models)."""
        self.check_formats(formats)
        self.asr.prepare()
        self.diarizer.prepare()

    def fingerprint(self, path) -> Fingerprint:
        return fingerprint(path, max_bytes=self.settings.max_bytes)

    def decode(self, print_: Fingerprint, rate: int | None = STAGE_RATE) -> Audio:
        """The narrowest decoder that succeeds, each in a child process killed past the time limit.
        Every channel comes at ``rate`` Hz, the stages' rate (None: the file's own rate)."""
        report("decode", None, print_.format)
        error = None
        decoders = self.decoders_for(print_.format)
        for decoder_class in decoders:
            try:
                return decode_with_limit(decoder_class, print_.path, format=print_.format, sha256=print_.sha256,
                                         size_bytes=print_.size_bytes, seconds=self.settings.decode_timeout,
                                         rate=rate, preload=self.registry.stages("decoder"))
            except InputError as exc:
                if exc.code == "decode_timeout":
                    raise  # a hang is not retried by another decoder: it could hang as long again
                error = exc
            except Exception as exc:  # try the next decoder; the last error is the one reported
                error = exc
        raise error

    def decoders_for(self, format: str) -> list[type[Decoder]]:
        candidates = [d for d in self.registry.stages("decoder") if format in d.formats and d.available()]
        if not candidates:
            raise ConfigError(f"no installed decoder handles {format}", code="stage_unavailable")
        # The narrowest decoder first: a specialist is exact where a generalist approximates.
        return sorted(candidates, key=lambda d: len(d.formats))

    def split(self, audio: Audio) -> Separation:
        """The tracks to transcribe, decided before any model runs: one per channel for true
        stereo, else the mixed-down call. When a diarizer is still to find the mono call's turns,
        ``separator`` is empty and :meth:`separate` finds them, while :meth:`transcribe` can
        already work on the same tracks."""
        report("separate", None, f"{audio.channels} channel(s), mode {self.settings.mode}")
        mode, notes = self.settings.mode, []
        if mode in ("auto", "channel"):
            if audio.channels == 1:
                if mode == "channel":
                    notes.append("channel split asked for, but the recording is mono: used the mono path")
            else:
                reason = fake_stereo_reason(audio)
                if reason is None:
                    return replace(self.registry.get("separator", "channel")().separate(audio), separator="channel")
                notes.append(f"not split by channel: {reason}; used the mono path")
        if isinstance(self.diarizer, MonoDiarizer):
            return Separation(mode="mono", tracks=(Track(audio.mono(), audio.sample_rate),), notes=tuple(notes))
        separation = self.diarizer.separate(audio)  # a separator that decides the tracks itself
        return self._decided(separation, notes)

    def separate(self, split: Separation) -> Separation:
        """Who speaks when: the split itself when it decided already, else the diarizer's turns on
        its one track."""
        if split.separator:
            return split
        return self._decided(self.diarizer.separate_track(split.tracks[0]), split.notes)

    def _decided(self, separation: Separation, notes) -> Separation:
        return replace(separation, separator=self.diarizer.name,
                       notes=tuple(notes) + separation.notes + self.diarizer_notes)

    def transcribe(self, split: Separation) -> list[Transcript]:
        """Every track of the split, two at a time (a stereo call's channels at once: the model
        has a worker for each, and its Python-side work overlaps the other's decoding)."""
        from concurrent.futures import ThreadPoolExecutor

        count = len(split.tracks)
        done = [0.0] * count
        # one language for the call: its channels are not each worth a detection
        detected = self.asr.call_language(split.tracks) if count > 1 else None
        extra = {"detected": detected} if detected is not None else {}

        def one(index: int) -> Transcript:
            track = split.tracks[index]

            def progress(fraction):
                done[index] = fraction
                report("transcribe", sum(done) / count, f"{count} track(s)")

            return self.asr.transcribe(track.samples, track.sample_rate, progress=progress, **extra)

        if count == 1:
            transcripts = [one(0)]
        else:
            with ThreadPoolExecutor(max_workers=min(count, TRACKS_AT_ONCE), thread_name_prefix="hearflow-track") as pool:
                transcripts = list(pool.map(one, range(count)))
        report("transcribe", 1.0, "done")
        return transcripts

    def assemble(self, audio: Audio, separation: Separation, transcripts: Sequence[Transcript],
                 source: str | None = None) -> CallResult:
        segments: tuple[Segment, ...] = attribute(zip(separation.tracks, transcripts), separation.turns)
        languages = [t.language for t in transcripts if t.language]
        return CallResult(
            id=self.call_id(audio.sha256),
            source=source or audio.source,  # a fetched URL, not its temporary file
            sha256=audio.sha256,
            format=audio.format,
            mode=separation.mode,
            diarized=separation.diarized,
            separator=separation.separator or None,
            turns=separation.overlapped or separation.turns,
            language=languages[0] if languages else None,
            model=transcripts[0].model if transcripts else None,
            audio_seconds=round(audio.duration, 3),
            channels=audio.channels,
            sample_rate=audio.file_rate,  # the recording's, not the stages' 16 kHz
            segments=segments,
            speaker_timing=speaker_timing(segments) or _silent_speakers(separation.tracks),
            notes=separation.notes,
            options=self.resolved_options(),
        )

    def redact(self, result: CallResult) -> CallResult:
        """Replace the chosen PII kinds before any metric or analyzer reads the text."""
        if not self.settings.redact:
            return result
        report("redact", None, ", ".join(self.settings.redact))
        return redact_result(result, self.settings.redact)

    def measure(self, result: CallResult) -> CallResult:
        report("measure", None, ", ".join(m.name for m in self.metrics))
        reports = {}
        for metric in self.metrics:
            value = metric.measure(result)
            reports[metric.name] = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        return result.model_copy(update={"metrics": reports})

    def analysis(self, result: CallResult) -> AnalysisRecord | None:
        """The analyzer's record. A failure is recorded, never raised: the transcript stays."""
        if self.analyzer is None:
            return None
        if not result.has_speech:  # an analysis of nothing would read as a verdict on a call
            return None
        report("analyze", None, self.analyzer.name)
        try:
            record = self.analyzer.analyze(result)
        except Exception as exc:  # any analyzer failure becomes a stored, coded error
            code = exc.code if isinstance(exc, HearflowError) else "analysis_failed"
            message = exc.message if isinstance(exc, HearflowError) else f"{type(exc).__name__}: {exc}"
            record = AnalysisRecord(analyzer=self.analyzer.name, heuristic=self.analyzer.heuristic,
                                    error=ErrorInfo(code=code, message=message),
                                    attempts=getattr(exc, "attempts", 1))  # requests the analyzer sent
        return record

    def conclude(self, result: CallResult, analysis: AnalysisRecord | None) -> CallResult:
        notes = result.notes
        if self.analyzer is not None and not result.has_speech:
            notes = (*notes, NO_SPEECH_NOTE)  # say why there is no analysis
        return result.model_copy(update={"analysis": analysis, "notes": notes})

    def ask(self, result: CallResult, question: str) -> Answer:
        if self.analyzer is None:
            raise ConfigError("no analyzer is selected", code="unknown_stage",
                              hint="pass --analyzer offline, anthropic or openai-compatible")
        return self.analyzer.ask(result, question)

    def deliver(self, result: CallResult) -> list[DeliveryReport]:
        """Hand a stored call to every configured sink; failures are reported, not raised."""
        return [report for sink in self.sinks for report in sink.deliver(result)]

    def run(self, path) -> CallResult:
        """Every step for one local file in this process; nothing stored or written."""
        from hearflow.pipeline.runner import compute

        self.prepare()
        return compute(self, self.fingerprint(path), str(path))


def _described(stage) -> dict:
    return {"name": stage.name, **stage.options.model_dump(mode="json")}


def _silent_speakers(tracks: Sequence[Track]) -> dict[str, float]:
    return {track.speaker: 0.0 for track in tracks if track.speaker}
