"""The ``whisper`` ASR stage: which model hears which language, and the decoding settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from hearflow import AsrBackend, ConfigError, Segment, StageOptions, Transcript, Word, local_or_hub, resample

from hearflow_whisper.batching import transcribe_batched
from hearflow_whisper.chunks import chunk_bounds
from hearflow_whisper.detection import detect_language, first_speech
from hearflow_whisper.embedded import BASE, EMBEDDED, TINY_EN, embedded_path
from hearflow_whisper.languages import script_prompt, steady_decoding, whisper_language
from hearflow_whisper.loading import load_model, resolve_device, start_loading, threads_per_worker
from hearflow_whisper.vocabulary import decoder_prompt, parse_vocabulary

WHISPER_RATE = 16_000
AUTO_MODEL = "auto"


class WhisperAsr(AsrBackend):
    name = "whisper"
    description = ("faster-whisper; embedded tiny.en (English) and base (multilingual), or any "
                   "CTranslate2 Whisper model by path or name")
    requires = ("faster_whisper", "ctranslate2")

    class Options(StageOptions):
        # auto: English is transcribed by tiny.en, every other language (and detection) by base
        model: str = AUTO_MODEL
        language: str | None = None
        vocabulary: tuple[str, ...] = ()
        beam_size: int = 5
        vad_filter: bool = True
        # Anti-hallucination defaults, measured on silence, noise, tones and test calls (README).
        condition_on_previous_text: bool = False
        hallucination_silence_threshold: float | None = None  # off: it dropped real speech (README)
        compression_ratio_threshold: float | None = 2.4
        no_speech_threshold: float | None = 0.6
        log_prob_threshold: float | None = -1.0
        compute_type: str = "auto"  # int8 on the CPU, float16 on a GPU
        chunk_seconds: float = Field(default=180.0, ge=30.0)  # longest piece decoded at once
        # Where and how fast it runs; the transcript's identity leaves these out.
        device: Literal["auto", "cpu", "cuda"] = Field(default="auto", exclude=True)
        # > 1: clips of speech decoded side by side (batching.py); 0/1: sequential decoding, the
        # default (batching saved 8 % CPU on one thread and misheard a card number; README),
        # also used whenever VAD is off or a silence threshold is set
        batch_size: int = Field(default=0, ge=0, exclude=True)
        cpu_threads: int = Field(default=0, ge=0, exclude=True)  # 0: the cores shared out among the workers
        # transcriptions at once in one process (a stereo call's channels, an archive's calls)
        workers: int = Field(default=2, ge=1, exclude=True)
        local_files_only: bool = Field(default=False, exclude=True)

        @field_validator("vocabulary", mode="before")
        @classmethod
        def _split_vocabulary(cls, value):
            return parse_vocabulary(value)

    # -- models ------------------------------------------------------------------------------

    def language_code(self) -> str | None:
        return whisper_language(self.options.language)

    def model_name(self, language: str | None) -> str:
        """The model that transcribes ``language`` (None: not known yet, i.e. the detector)."""
        if self.options.model != AUTO_MODEL:
            return self.options.model
        return TINY_EN if language == "en" else BASE

    def model_path(self, name: str) -> str:
        if name in EMBEDDED:
            return str(embedded_path(name))
        # A model name is left for faster-whisper to resolve.
        return local_or_hub(name, what="model directory",
                            hint="pass a directory holding model.bin, config.json and tokenizer.json")

    @staticmethod
    def model_label(name: str) -> str:
        return f"{name} (embedded)" if name in EMBEDDED else name

    def load(self, name: str, *, wait: bool = True):
        device, compute_type = resolve_device(self.options.device, self.options.compute_type)
        load = load_model if wait else start_loading
        threads = threads_per_worker(self.options.cpu_threads, self.options.workers) if device == "cpu" else 0
        return load(self.model_path(name), device, compute_type, threads,
                    self.options.local_files_only, self.options.workers)

    def prepare(self) -> None:
        """Fail before any audio work when the model, device or language cannot work."""
        language = self.language_code()
        name = self.model_name(language)
        if language is None and self.options.model == AUTO_MODEL:
            # base detects, tiny.en hears English: both verified now and loaded in the background
            # while the call is decoded and diarized (an embedded model has nothing else to check)
            for each in (BASE, TINY_EN):
                self.load(each, wait=False)
            return
        model = self.load(name)
        if language not in (None, "en") and not model.model.is_multilingual:
            raise ConfigError(
                f"model {self.model_label(name)} is English-only and cannot transcribe "
                f"'{self.options.language}'",
                code="language_not_supported",
                hint="pass --model with a multilingual Whisper model (or leave --model out), or drop --language",
            )

    # -- transcription -----------------------------------------------------------------------

    def detect(self, pieces) -> tuple[str | None, float]:
        """Language of the call's first speech (English for an English-only model; None when no
        piece has any speech)."""
        detector = self.load(self.model_name(None))
        if not detector.model.is_multilingual:
            return "en", 1.0
        speech = first_speech(pieces, WHISPER_RATE, vad=self.options.vad_filter)
        if speech is None:
            return None, 0.0
        return detect_language(detector, speech)

    def decode_options(self, language: str) -> dict:
        options = self.options
        return dict(
            language=language, beam_size=options.beam_size, vad_filter=options.vad_filter, word_timestamps=True,
            condition_on_previous_text=options.condition_on_previous_text,
            hallucination_silence_threshold=options.hallucination_silence_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            no_speech_threshold=options.no_speech_threshold, log_prob_threshold=options.log_prob_threshold,
            **decoder_prompt(script_prompt(options.language, language), options.vocabulary),
            **steady_decoding(language),
        )

    def bounds(self, samples, sample_rate) -> list:
        return chunk_bounds(len(samples), sample_rate, samples, max_seconds=self.options.chunk_seconds)

    def pieces(self, samples, sample_rate, bounds=None):
        """(offset in seconds, 16 kHz audio) of each piece of a track, one resampled at a time."""
        for start, end in bounds if bounds is not None else self.bounds(samples, sample_rate):
            yield start / sample_rate, resample(samples[start:end], sample_rate, WHISPER_RATE)

    def call_language(self, tracks):
        """Detected once on the call's first speech, track after track (one encoder pass of the
        multilingual model for the whole call instead of one per channel)."""
        self.prepare()
        if self.language_code() is not None:
            return None
        return self.detect(piece for track in tracks for piece in self.pieces(track.samples, track.sample_rate))

    def transcribe(self, samples, sample_rate, *, progress=None, detected=None):
        self.prepare()
        duration = len(samples) / sample_rate
        bounds = self.bounds(samples, sample_rate)  # found once: detection and decoding read the same pieces

        language, probability = self.language_code(), 1.0
        if language is None:
            language, probability = (detected if detected is not None
                                     else self.detect(self.pieces(samples, sample_rate, bounds)))
            if language is None:  # no speech anywhere: nothing to transcribe
                return Transcript(segments=(), language=None, language_probability=0.0,
                                  model=self.model_label(self.model_name(None)))
        name = self.model_name(language)
        model = self.load(name)
        decode = self.decode_options(language)
        batched = (self.options.batch_size > 1 and self.options.vad_filter
                   and self.options.hallucination_silence_threshold is None)
        segments = []
        for offset, audio in self.pieces(samples, sample_rate, bounds):
            if batched:
                decoded = transcribe_batched(model, audio, WHISPER_RATE, self.options.batch_size, decode)
            else:
                decoded, _ = model.transcribe(audio, **decode)
            for piece in decoded:  # a generator: decoding happens as we iterate
                segment = _segment(piece, offset)
                if segment is not None and not _loops(segment.text, self.options.compression_ratio_threshold):
                    segments.append(segment)
                if progress and duration:
                    progress(min((offset + piece.end) / duration, 1.0))
            del audio, decoded  # the next piece's arrays replace this one's
        return Transcript(segments=tuple(segments), language=language,
                          language_probability=round(probability, 4), model=self.model_label(name))


def _loops(text: str, threshold: float | None) -> bool:
    """A segment whose own text fails the compression-ratio test: a repetition loop, never speech.
    faster-whisper applies the test to a whole window and, failing it, retries at a higher
    temperature; decoding here is beam search only (``steady_decoding``), so a loop it writes (seen:
    tiny.en filling the last 0.1 s of a call with "see you in the next video" many times over) would
    otherwise be kept. Real speech stays far below the threshold: a sentence scores about 1."""
    from faster_whisper.transcribe import get_compression_ratio

    return threshold is not None and get_compression_ratio(text) > threshold


def _segment(piece, offset: float) -> Segment | None:
    words = tuple(
        Word(start=round(offset + w.start, 3), end=round(offset + w.end, 3), text=w.word.strip(),
             probability=round(w.probability, 4))
        for w in piece.words or () if w.word.strip()
    )
    if not words:
        return None
    return Segment(start=words[0].start, end=words[-1].end, text=piece.text.strip(), words=words)
