"""Speech to text with faster-whisper (CTranslate2). The default models ship with hearflow."""

from __future__ import annotations

from hearflow import hookimpl

from hearflow_whisper.backend import WhisperAsr
from hearflow_whisper.languages import whisper_language

__all__ = ["WhisperAsr", "whisper_language"]


@hookimpl
def register_asr_backends(register):
    register(WhisperAsr)
