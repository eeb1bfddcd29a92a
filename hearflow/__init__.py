"""hearflow: call recordings in, speaker-attributed transcripts and call intelligence out.

This module is the public plugin API: everything a plugin author needs is importable from
``hearflow`` itself (``from hearflow import hookimpl, Formatter, CallResult``), and the built-in
plugins under ``plugins/`` import from nowhere else. Names load on first use, so ``import
hearflow`` stays cheap; ``__all__`` lists them and docs/plugin-hooks.md describes them.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name → the module that defines it (the layout behind it may change; these names do not)
_EXPORTS: dict[str, str] = {
    # hooks and stage base classes
    **dict.fromkeys(["hookimpl", "hookspec"], "hearflow.plugins.hookspecs"),
    **dict.fromkeys(["Stage", "StageOptions", "SpeakerHints", "Decoder", "Separator", "MonoDiarizer",
                     "AsrBackend", "Formatter", "Metric", "Analyzer", "Sink", "Runner"],
                    "hearflow.plugins.stages"),
    # the data model
    **dict.fromkeys(["Word", "Segment", "Turn", "Audio", "Track", "Separation", "Transcript", "SpeakerStats",
                     "ConversationMetrics", "TrackerHit", "TrackerReport", "CallAnalysis", "ErrorInfo",
                     "AnalysisRecord", "Answer", "DeliveryAttempt", "DeliveryReport", "CallResult",
                     "utc_now", "speaker_sort_key"], "hearflow.models"),
    "AnalyzeSettings": "hearflow.settings",
    # errors (each carries a code the CLI and the HTTP API print)
    **dict.fromkeys(["HearflowError", "InputError", "ConfigError", "StageUnavailableError", "NotFoundError",
                     "AnalysisError", "StoreError"], "hearflow.errors"),
    # helpers the built-in stages use
    **dict.fromkeys(["resample", "STAGE_RATE"], "hearflow.media.audio"),
    "SUPPORTED_FORMATS": "hearflow.media.audiofile",
    **dict.fromkeys(["first_speech_names", "named_turns"], "hearflow.media.separation"),
    **dict.fromkeys(["VAD_RATE", "speech_regions"], "hearflow.media.vad"),
    "local_or_hub": "hearflow.media.weights",
    **dict.fromkeys(["Device", "choose_device", "torch_gpus", "onnxruntime_gpus"], "hearflow.media.devices"),
    "read_rttm": "hearflow.evaluation.rttm",
    "speaker_timing": "hearflow.pipeline.attribute",
    "write_atomic": "hearflow.output.files",
    **dict.fromkeys(["TEMPLATES_ENV", "environment", "render"], "hearflow.output.templating"),
    **dict.fromkeys(["STOPWORDS", "contains_phrase", "content_stems", "proper_nouns", "tokens"], "hearflow.text"),
    **dict.fromkeys(["Store", "home"], "hearflow.store.store"),
    # for plugins that add commands (register_commands)
    **dict.fromkeys(["config_option", "db_option", "open_store"], "hearflow.cli.common"),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hearflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
