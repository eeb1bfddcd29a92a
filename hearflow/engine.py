"""The pipeline without any orchestrator: each step is a plain method, ``run`` chains them.

Prefect flows in ``hearflow_flows`` wrap these same steps in tasks; nothing here imports Prefect.
"""

from __future__ import annotations

from collections.abc import Sequence

from hearflow.attribute import attribute, speaker_timing
from hearflow.audiofile import Fingerprint, fingerprint
from hearflow.errors import ConfigError
from hearflow.models import Audio, CallResult, Separation, Segment, Transcript, Track
from hearflow.plugins import Registry, build_registry
from hearflow.progress import report
from hearflow.separation import fake_stereo_reason
from hearflow.settings import AnalyzeSettings, digest
from hearflow.stages import AsrBackend, Decoder, Separator


class Engine:
    def __init__(self, settings: AnalyzeSettings | None = None, registry: Registry | None = None):
        self.settings = settings or AnalyzeSettings()
        self.registry = registry or build_registry()
        self.asr: AsrBackend = self._stage("asr", self.settings.asr, self.settings.asr_options)
        self.diarizer: Separator = self._stage("separator", self.settings.diarizer,
                                               self.settings.diarizer_options)

    def _stage(self, kind: str, name: str, options: dict):
        stage_class = self.registry.get(kind, name)
        stage_class.ensure_available()
        return stage_class(options)

    # -- identity -----------------------------------------------------------------------------

    def resolved_options(self) -> dict:
        """Every choice that changes the result, defaults filled in."""
        return {
            "mode": self.settings.mode,
            "asr": {"name": self.asr.name, **self.asr.options.model_dump()},
            "diarizer": {"name": self.diarizer.name, **self.diarizer.options.model_dump()},
        }

    def call_id(self, sha256: str) -> str:
        """Same bytes + same resolved options = same call id, so a re-run reuses the stored call."""
        return digest({"audio": sha256, "options": self.resolved_options()})[:16]

    def stage_key(self, stage: str, sha256: str) -> str:
        options = self.resolved_options()
        relevant = {"decode": {}, "separate": {k: options[k] for k in ("mode", "diarizer")},
                    "transcribe": options}[stage]
        return f"hearflow-{stage}-{sha256[:32]}-{digest(relevant)[:16]}"

    # -- steps --------------------------------------------------------------------------------

    def prepare(self, formats: Sequence[str] = ()) -> None:
        """Fail on a bad model, language or format before any audio work."""
        for name in formats:
            self.registry.get("formatter", name)
        self.asr.prepare()
        self.diarizer.prepare()

    def fingerprint(self, path) -> Fingerprint:
        return fingerprint(path, max_bytes=self.settings.max_bytes)

    def decode(self, print_: Fingerprint) -> Audio:
        report("decode", None, print_.format)
        error = None
        for decoder_class in self.decoders_for(print_.format):
            try:
                return decoder_class().decode(print_.path, format=print_.format, sha256=print_.sha256,
                                              size_bytes=print_.size_bytes)
            except Exception as exc:  # try the next decoder; the last error is the one reported
                error = exc
        raise error

    def decoders_for(self, format: str) -> list[type[Decoder]]:
        candidates = [d for d in self.registry.stages("decoder") if format in d.formats and d.available()]
        if not candidates:
            raise ConfigError(f"no installed decoder handles {format}", code="stage_unavailable")
        # The narrowest decoder first: a specialist is exact where a generalist approximates.
        return sorted(candidates, key=lambda d: len(d.formats))

    def separate(self, audio: Audio) -> Separation:
        report("separate", None, f"{audio.channels} channel(s), mode {self.settings.mode}")
        mode, notes = self.settings.mode, []
        if mode in ("auto", "channel"):
            if audio.channels == 1:
                if mode == "channel":
                    notes.append("channel split asked for, but the recording is mono: used the mono path")
            else:
                reason = fake_stereo_reason(audio)
                if reason is None:
                    return self.registry.get("separator", "channel")().separate(audio)
                notes.append(f"not split by channel: {reason}; used the mono path")
        separation = self.diarizer.separate(audio)
        return Separation(mode=separation.mode, tracks=separation.tracks, turns=separation.turns,
                          diarized=separation.diarized, notes=tuple(notes) + separation.notes)

    def transcribe(self, separation: Separation) -> list[Transcript]:
        transcripts = []
        count = len(separation.tracks)
        for index, track in enumerate(separation.tracks):
            label = f"track {index + 1}/{count}"

            def progress(fraction, _index=index, _label=label):
                report("transcribe", (_index + fraction) / count, _label)

            transcripts.append(self.asr.transcribe(track.samples, track.sample_rate, progress=progress))
        report("transcribe", 1.0, "done")
        return transcripts

    def assemble(self, audio: Audio, separation: Separation, transcripts: Sequence[Transcript]) -> CallResult:
        segments: tuple[Segment, ...] = attribute(zip(separation.tracks, transcripts), separation.turns)
        languages = [t.language for t in transcripts if t.language]
        return CallResult(
            id=self.call_id(audio.sha256),
            source=audio.source,
            sha256=audio.sha256,
            format=audio.format,
            mode=separation.mode,
            diarized=separation.diarized,
            language=languages[0] if languages else None,
            model=transcripts[0].model if transcripts else None,
            audio_seconds=round(audio.duration, 3),
            channels=audio.channels,
            sample_rate=audio.sample_rate,
            segments=segments,
            speaker_timing=speaker_timing(segments) or _silent_speakers(separation.tracks),
            notes=separation.notes,
            options=self.resolved_options(),
        )

    def run(self, path) -> CallResult:
        """The whole pipeline in this process, no orchestration, no store."""
        self.prepare()
        audio = self.decode(self.fingerprint(path))
        separation = self.separate(audio)
        return self.assemble(audio, separation, self.transcribe(separation))


def _silent_speakers(tracks: Sequence[Track]) -> dict[str, float]:
    return {track.speaker: 0.0 for track in tracks if track.speaker}
