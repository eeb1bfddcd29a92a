"""Custom vocabulary: names and terms the recogniser should prefer, handed to the decoder as text
it has "already heard" before each window, together with any prompt the language needs."""

from __future__ import annotations

MAX_TERMS = 50


def parse_vocabulary(value) -> tuple[str, ...]:
    """``"Brevilo, Tarqueen"`` or a list of terms → unique, stripped terms in the given order."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else [t for item in value for t in str(item).split(",")]
    terms = []
    for item in items:
        term = " ".join(item.split())
        if term and term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise ValueError(f"at most {MAX_TERMS} vocabulary terms (got {len(terms)}); "
                         "Whisper sees only about 220 tokens of prompt")
    return tuple(terms)


def decoder_prompt(language_prompt: str | None, vocabulary: tuple[str, ...]) -> dict:
    """faster-whisper keyword arguments carrying the language's script prompt and the vocabulary.

    Both go to ``hotwords``, which precede every 30 s window (measured: tiny.en kept the product
    names in later windows only this way; an ``initial_prompt`` of names cut its transcript
    short). The script prompt is not also the ``initial_prompt``: given twice in the first window,
    base echoed it ("नमस्ते, आपका स्वागत है।" four times) instead of transcribing the Hindi call."""
    parts = [language_prompt] if language_prompt else []
    if vocabulary:
        parts.append(", ".join(vocabulary) + ".")
    return {"hotwords": " ".join(parts)} if parts else {}
