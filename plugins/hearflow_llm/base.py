"""What the language-model analyzers share: options read from the environment, and ``analyze`` /
``ask`` built on one validated exchange. A vendor adds its client and its :class:`Conversation`."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from hearflow import AnalysisRecord, Analyzer, Answer, CallAnalysis, CallResult, ConfigError, StageOptions
from hearflow_llm.exchange import Conversation, Outcome, ask_until_valid, parse_as
from hearflow_llm.prompt import Task, analysis_task, question_task, transcript_lines
from hearflow_llm.quotes import QuotedAnswer, with_transcript_quotes


def env_field(*names: str, fallback: str | None | Callable[[dict[str, Any]], str | None] = None,
              secret: bool = False) -> Any:
    """An option defaulting to the first of the environment variables ``names`` that is set, else to
    ``fallback`` (which may compute it from the options before it). Read when options are made, not
    at import: ``auto`` mode builds analyzers with empty options, so their settings come from the
    environment. A secret is left out of dumps: options are stored with each call and hashed into
    cache keys."""

    def default(data: dict[str, Any]) -> str | None:
        value = next((os.environ[name] for name in names if os.environ.get(name)), None)
        return value if value is not None else fallback(data) if callable(fallback) else fallback

    return Field(default_factory=default, json_schema_extra={"env": list(names)}, exclude=secret, repr=not secret)


class LanguageModelOptions(StageOptions):
    timeout: float = Field(120.0, gt=0)  # seconds for one request
    max_retries: int = Field(2, ge=0)  # SDK retries, with backoff, of 408/409/429/5xx, timeouts, lost connections
    invalid_retries: int = Field(2, ge=0)  # re-asks when the answer fails validation


class LanguageModelAnalyzer(Analyzer):
    network = True
    extra = "llm"
    client_class: ClassVar[str]  # the SDK client, "module.Class": imported only when a call is analysed
    conversation_class: ClassVar[Callable[[Any, Any, Task], Conversation]]  # (client, options, task)

    def configured(self) -> bool:
        return self.available() and bool(self.options.api_key) and bool(self.options.model)

    def analyze(self, result: CallResult) -> AnalysisRecord:
        outcome = self._exchange(analysis_task(result), parse_as(CallAnalysis), "call analysis")
        return AnalysisRecord(analyzer=self.name, model=outcome.model or self.options.model, heuristic=False,
                              analysis=outcome.value, usage=outcome.usage, attempts=outcome.attempts)

    def ask(self, result: CallResult, question: str) -> Answer:
        lines = transcript_lines(result)
        parse = parse_as(QuotedAnswer)
        outcome = self._exchange(question_task(result, question),
                                 lambda payload: with_transcript_quotes(parse(payload), lines), "answer")
        return Answer(question=question, answer=outcome.value.answer, quotes=tuple(outcome.value.quotes),
                      analyzer=self.name, model=outcome.model or self.options.model, usage=outcome.usage)

    def _exchange(self, task: Task, parse: Callable[[Any], Any], what: str) -> Outcome:
        self.ensure_available()
        for option, label in (("api_key", "API key"), ("model", "model")):
            if not getattr(self.options, option):
                variables = " or ".join(self.Options.model_fields[option].json_schema_extra["env"])
                raise ConfigError(f"analyzer '{self.name}' has no {label} set", code="analyzer_not_configured",
                                  hint=f"set {variables}, or the {option} analyzer option")
        with self.open_client() as client:
            return ask_until_valid(self.conversation_class(client, self.options, task), parse,
                                   invalid_retries=self.options.invalid_retries, what=what)

    def open_client(self) -> Any:
        # Both SDKs retry (with backoff) and time out by these same client arguments.
        module, name = self.client_class.rsplit(".", 1)
        client_type = getattr(importlib.import_module(module), name)
        return client_type(api_key=self.options.api_key, base_url=self.options.base_url,
                           timeout=self.options.timeout, max_retries=self.options.max_retries)
