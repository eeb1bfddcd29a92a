"""Word-level text helpers shared by metrics and analyzers."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9']+")

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")  # by value

STOPWORDS = frozenset("""
a about after all also am an and any are as at be been but by can could did do does for from
had has have he her him his how i if in into is it its just me my no not of on or our out so
some than that the their them then there these they this to too up us was we were what when
where which who why will with would you your yes okay ok uh um hi hello please thank thanks
customer caller agent call
""".split())


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, punctuation dropped, apostrophes kept (``don't``)."""
    return _TOKEN.findall(text.lower())


_CASED_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9']*")


def proper_nouns(texts) -> set[str]:
    """Lower-cased words written with a capital everywhere they occur ("Maya", "Northwind"): names
    of people, places and companies, which are not topics. Placeholders such as ``[CARD]`` count."""
    seen: dict[str, bool] = {}
    for text in texts:
        for word in _CASED_WORD.findall(text):
            key = word.lower()
            seen[key] = seen.get(key, True) and word[0].isupper()
    return {word for word, always_capital in seen.items() if always_capital and word != "i"}


def stem(token: str) -> str:
    """A crude suffix strip, enough to match ``prices``/``price`` and ``ordered``/``order``."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(token) > len(suffix) + 2 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def content_stems(text: str) -> set[str]:
    return {stem(t) for t in tokens(text) if t not in STOPWORDS}


def contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word phrase match: ``cancel`` is found in "I want to cancel", not in "cancellation"."""
    words, wanted = tokens(text), tokens(phrase)
    return any(words[i: i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))
