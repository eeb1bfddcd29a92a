"""The shape of an answer to a question, and the check that its quotes come from the transcript."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field


class QuotedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field(description="the answer, from the transcript alone; say so when it does not tell")
    quotes: list[str] = Field(description="the transcript lines the answer relies on, copied verbatim")


def with_transcript_quotes(answer: QuotedAnswer, lines: list[str]) -> QuotedAnswer:
    """Each quote replaced by the whole transcript line it comes from. A quote found in no line is
    a ValueError, so the model is asked again rather than an invented quote being shown."""
    found = []
    for quote in answer.quotes:
        wanted = _normal(quote)
        if not wanted:
            continue
        line = next((line for line in lines if wanted in _normal(line)), None)
        if line is None:
            raise ValueError(f"quote {quote!r} is not in the transcript; copy whole lines verbatim")
        found.append(line)
    return answer.model_copy(update={"quotes": list(dict.fromkeys(found))})


def _normal(text: str) -> str:
    """Case, runs of spaces and wrapping quotation marks or ellipses do not make a quote wrong."""
    return re.sub(r"\s+", " ", text).strip().strip("\"'“”‘’….").strip().casefold()
