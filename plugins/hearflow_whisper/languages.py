"""Language tags: BCP-47 (``hi-IN``, ``zh-Hant-TW``) to Whisper's codes, and the writing system
each tag asks for.

Whisper writes some languages in more than one script: an espeak-ng Hindi call comes out in Urdu
letters unless the decoder is nudged. A short prompt written in the wanted script does that, so
each tag maps to a prompt in its script (the script subtag wins, else the language's usual one).
"""

from __future__ import annotations

from hearflow import ConfigError

AUTO_LANGUAGE = {None, "", "auto", "unknown"}

# (Whisper code, ISO 15924 script) → a short greeting written in that script.
SCRIPT_PROMPTS = {
    ("hi", "Deva"): "नमस्ते, आपका स्वागत है।",
    ("ur", "Arab"): "السلام علیکم، خوش آمدید۔",
    ("mr", "Deva"): "नमस्कार, आपले स्वागत आहे.",
    ("ne", "Deva"): "नमस्ते, तपाईंलाई स्वागत छ।",
    ("pa", "Guru"): "ਸਤ ਸ੍ਰੀ ਅਕਾਲ, ਜੀ ਆਇਆਂ ਨੂੰ।",
    ("pa", "Arab"): "السلام علیکم، جی آیاں نوں۔",
    ("sr", "Cyrl"): "Здраво, добро дошли.",
    ("sr", "Latn"): "Zdravo, dobro došli.",
    ("zh", "Hans"): "你好，欢迎。",
    ("zh", "Hant"): "你好，歡迎。",
}
DEFAULT_SCRIPTS = {"hi": "Deva", "ur": "Arab", "mr": "Deva", "ne": "Deva", "pa": "Guru", "sr": "Cyrl",
                   "zh": "Hans"}
# Regions that imply a script when the tag names none (zh-TW is written in Traditional characters).
REGION_SCRIPTS = {("zh", "TW"): "Hant", ("zh", "HK"): "Hant", ("zh", "MO"): "Hant", ("pa", "PK"): "Arab"}


def _subtags(code: str) -> list[str]:
    return code.replace("_", "-").split("-")


def whisper_language(code: str | None) -> str | None:
    """BCP-47 tag (``hi-IN``, ``en_US``, ``pt-BR``) to Whisper's code (``hi``, ``en``, ``pt``)."""
    if code in AUTO_LANGUAGE:
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    primary = _subtags(code)[0].lower()
    if primary not in _LANGUAGE_CODES:
        raise ConfigError(f"language '{code}' is not one Whisper knows", code="unsupported_language",
                          hint="use a BCP-47 code such as en-US or hi-IN, or leave it out to auto-detect")
    return primary


def script_of(tag: str | None, language: str) -> str | None:
    """The ISO 15924 script a tag asks for: its script subtag, else its region's, else the
    language's usual one (also used for a detected language, which has no tag)."""
    for part in _subtags(tag or "")[1:]:
        if len(part) == 4 and part.isalpha():
            return part.title()
        if (language, part.upper()) in REGION_SCRIPTS:
            return REGION_SCRIPTS[(language, part.upper())]
    return DEFAULT_SCRIPTS.get(language)


def script_prompt(tag: str | None, language: str | None) -> str | None:
    """A prompt that keeps the transcript in the tag's script, or None where no nudge is needed."""
    if language is None:
        return None
    return SCRIPT_PROMPTS.get((language, script_of(tag, language)))


def steady_decoding(language: str | None) -> dict:
    """Decoding settings under which the same audio always gives the same transcript.

    faster-whisper falls back to sampling at rising temperatures when a window's beam-search text
    fails the compression-ratio or log-probability threshold; CTranslate2's sampler is seeded per
    worker thread, once, so a second run in the same process (an archive, an API worker) draws
    other text. Measured: on an espeak-ng Hindi call base failed beam search on every window and
    sampled mixed-script text, different on each run; tiny.en's English WER on the test tracks
    is the same without the fallback. So only beam search runs (temperature 0); where beam search
    loops (base on Hindi repeated one phrase, compression ratio up to 15), blocking repeated
    word trigrams kept every window under the threshold. English keeps tiny.en's decoding as it is."""
    steady = {"temperature": 0.0}
    if language != "en":
        steady["no_repeat_ngram_size"] = 3
    return steady
