"""The ``pyannote`` separator: a pyannote.audio speaker-diarization pipeline.

The pipeline comes from a local directory (a ``config.yaml`` beside the models it names) or
from the Hugging Face hub by name, with ``HF_TOKEN`` for gated pipelines. pyannote.audio 4
returns two views of one diarization: the regular one, where two speakers may talk at once,
and an exclusive one with a single speaker at any time. Words are attributed with the
exclusive view; the regular one is kept on the result for overlap metrics.
"""

from __future__ import annotations

import functools
import os
import threading
import warnings

from pydantic import Field

from hearflow import (ConfigError, MonoDiarizer, Turn, choose_device, first_speech_names, local_or_hub, named_turns,
                      torch_gpus)

DEFAULT_PIPELINE = "pyannote/speaker-diarization-community-1"
PIPELINE_HINT = ("pass pipeline=DIR with a directory holding the pipeline's config.yaml and its models, "
                 "or a hub name with HF_TOKEN set where the hub is reachable")

_LOCK = threading.Lock()  # one pipeline run at a time: it is not documented as thread-safe


@functools.lru_cache(maxsize=2)
def load_pipeline(reference: str, token: str | None):
    """The pipeline by local path or hub name, on the CPU; loaded once per process."""
    # pyannote.audio 4 reports usage metrics to its vendor unless told not to; calls stay private.
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
    from pyannote.audio import Pipeline

    try:
        pipeline = Pipeline.from_pretrained(reference, token=token)
    except Exception as exc:  # hub, file and checkpoint errors all mean: no usable pipeline
        raise ConfigError(f"pyannote pipeline '{reference}' could not be loaded ({type(exc).__name__}: {exc})",
                          code="model_unavailable", hint=PIPELINE_HINT) from None
    if pipeline is None:  # older releases return None for a gated pipeline without a token
        raise ConfigError(f"pyannote pipeline '{reference}' needs a Hugging Face token",
                          code="model_unavailable", hint="set HF_TOKEN, or pass a local pipeline directory")
    return pipeline


class PyannoteDiarizer(MonoDiarizer):
    name = "pyannote"
    description = "pyannote.audio pipeline from a local directory or the hub (HF_TOKEN)"
    requires = ("pyannote.audio", "torchaudio")
    extra = "pyannote"
    install_note = "in a venv of its own: it brings PyTorch 2.9.1 with torchaudio"

    class Options(MonoDiarizer.Options):
        pipeline: str = Field(default=DEFAULT_PIPELINE, description="local directory or hub name")
        token_env: str = Field(default="HF_TOKEN", description="environment variable holding the hub token")

    def pipeline_reference(self) -> str:
        return local_or_hub(self.options.pipeline, what="pyannote pipeline", hint=PIPELINE_HINT)

    def prepare(self) -> None:
        self.pipeline_reference()
        self.device()

    def device(self) -> str:
        return choose_device(self.options.device, torch_gpus(), "PyTorch")

    def diarize_views(self, samples, sample_rate: int) -> tuple[list[Turn], list[Turn]]:
        import torch

        pipeline = load_pipeline(self.pipeline_reference(), os.environ.get(self.options.token_env) or None)
        pipeline.to(torch.device(self.device()))
        waveform = torch.from_numpy(samples).float().unsqueeze(0)  # (channel, time), decoded already
        with _LOCK, warnings.catch_warnings():
            # Its pooling warns on every chunk too short for a standard deviation; the result is fine.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"pyannote\.")
            output = pipeline({"waveform": waveform, "sample_rate": sample_rate}, **self.hints())
        return self.views(output)

    def hints(self) -> dict:
        options = self.options
        if options.num_speakers is not None:
            return {"num_speakers": options.num_speakers}
        hints = {"min_speakers": options.min_speakers}
        if options.max_speakers is not None:
            hints["max_speakers"] = options.max_speakers
        return hints

    @staticmethod
    def views(output) -> tuple[list[Turn], list[Turn]]:
        """(exclusive, overlapped) turns with one naming: SPEAKER_n in order of first speech."""
        regular = getattr(output, "speaker_diarization", output)  # pyannote.audio 3 returned an Annotation
        exclusive = getattr(output, "exclusive_speaker_diarization", None) or regular
        regular_pieces, exclusive_pieces = _pieces(regular), _pieces(exclusive)
        names = first_speech_names(regular_pieces + exclusive_pieces)
        return named_turns(exclusive_pieces, names), named_turns(regular_pieces, names)


def _pieces(annotation) -> list[tuple[float, float, str]]:
    return [(segment.start, segment.end, label)
            for segment, _, label in annotation.itertracks(yield_label=True) if segment.end > segment.start]
