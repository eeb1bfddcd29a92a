"""One structured exchange with a language model: ask, validate the answer, re-ask when it is invalid.

Vendors differ only in how a request goes out and how a rejected answer is fed back; both sit
behind :class:`Conversation`, so the validation and re-ask rules live here once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from hearflow import AnalysisError
from hearflow_llm.prompt import correction

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MAX_PROBLEMS = 6  # validation errors quoted back to the model: enough to fix, short enough to read


@dataclass(frozen=True)
class Reply:
    """One answer as it came back, before validation."""

    payload: Any  # tool input (a dict) or JSON text; None when the model gave neither
    model: str | None
    usage: dict[str, int]
    turn: Any = None  # what the vendor needs to feed this answer back on rejection
    missing: str = "the model gave no structured answer"  # why payload is None


class Conversation(Protocol):
    def send(self) -> Reply:
        """Send the conversation so far; raise AnalysisError when the endpoint fails."""

    def reject(self, reply: Reply, correction: str) -> None:
        """Add the rejected answer and the correction, so the next send can do better."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T
    model: str | None
    usage: dict[str, int] = field(default_factory=dict)  # summed over attempts
    attempts: int = 1  # requests sent, retries of every kind included


def ask_until_valid(conversation: Conversation, parse: Callable[[Any], T], *, invalid_retries: int,
                    transport_retries: int, what: str, sleep: Callable[[float], None] = time.sleep) -> Outcome[T]:
    """Send, then parse the reply, within one budget for the whole exchange: at most
    ``transport_retries`` more requests after a failure worth retrying (timeout, lost connection,
    408/409/429/5xx) and at most ``invalid_retries`` re-asks after an invalid answer. Nothing else
    retries (the SDK clients are made with none), so ``attempts`` is every request sent, and a
    failure says how many were sent too (its ``attempts`` attribute)."""
    usage: Counter[str] = Counter()
    sent = invalids = failures = 0
    while True:
        sent += 1
        try:
            reply = conversation.send()
        except AnalysisError as exc:
            if not getattr(exc, "retryable", False) or failures == transport_retries:
                raise _counted(exc, sent) from exc
            failures += 1
            sleep(_backoff(exc, failures))
            continue
        usage.update(reply.usage)
        try:
            if reply.payload is None:
                raise ValueError(reply.missing)
            value = parse(reply.payload)
        except ValueError as exc:  # pydantic's ValidationError and JSONDecodeError are ValueErrors
            problem = describe_problem(exc)
            if invalids == invalid_retries:
                raise _counted(AnalysisError(f"no valid {what}; last problem: {problem}", code="analysis_invalid",
                                             hint="try another model, or raise invalid_retries"), sent) from exc
            invalids += 1
            conversation.reject(reply, correction(problem))
        else:
            return Outcome(value=value, model=reply.model, usage=dict(usage), attempts=sent)


MAX_BACKOFF = 8.0  # seconds between retries at most, unless the server asks for longer (capped below)
MAX_RETRY_AFTER = 60.0


def _backoff(exc: AnalysisError, failures: int) -> float:
    asked = getattr(exc, "retry_after", None)
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER)
    return min(0.5 * 2 ** (failures - 1), MAX_BACKOFF)


def _counted(exc: AnalysisError, sent: int) -> AnalysisError:
    counted = AnalysisError(f"{exc.message} (after {sent} request(s))", code=exc.code, hint=exc.hint)
    counted.attempts = sent
    return counted


def parse_as(model: type[M]) -> Callable[[Any], M]:
    """A parser of a tool input or JSON text into ``model``; raises ValueError when it does not fit."""

    def parse(payload: Any) -> M:
        return model.model_validate(json.loads(_unfenced(payload)) if isinstance(payload, str) else payload)

    return parse


def _unfenced(text: str) -> str:
    """Servers that ignore the response format often wrap JSON in a Markdown code fence."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[-1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def describe_problem(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        listed = "; ".join(f"{'.'.join(map(str, error['loc'])) or 'answer'}: {error['msg']}"
                           for error in errors[:MAX_PROBLEMS])
        more = f" (and {len(errors) - MAX_PROBLEMS} more)" if len(errors) > MAX_PROBLEMS else ""
        return listed + more
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    return str(exc)


RETRIED_STATUSES = (408, 409, 429)  # with 5xx: "try later", so worth another request


def transport_failure(sdk: ModuleType, exc: Exception, endpoint: str) -> AnalysisError:
    """An SDK error as a coded AnalysisError; ``retryable`` marks those worth another request.

    Both SDKs name their errors alike, so ``sdk`` is the ``anthropic`` or ``openai`` module."""
    if isinstance(exc, sdk.APIResponseValidationError):
        return bad_body(endpoint, exc)
    if isinstance(exc, sdk.APITimeoutError):
        return _retryable(AnalysisError(f"{endpoint} did not answer in time", code="analysis_unavailable",
                                        hint="try again later, or raise the timeout option"))
    if isinstance(exc, sdk.APIConnectionError):
        return _retryable(AnalysisError(f"cannot reach {endpoint}: {exc}", code="analysis_unavailable",
                                        hint="check base_url and the network"))
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        detail = f"{endpoint} answered HTTP {status}: {exc.message}"
        if status in RETRIED_STATUSES or status >= 500:
            return _retryable(AnalysisError(detail, code="analysis_unavailable",
                                            hint="try again later, or raise the max_retries option"),
                              _retry_after(exc.response))
        return AnalysisError(detail, code="analysis_rejected", hint="check api_key, model and base_url")
    return AnalysisError(f"{endpoint} failed: {exc}", code="analysis_unavailable")


def bad_body(endpoint: str, exc: Exception) -> AnalysisError:
    """A 2xx answer whose body does not parse: a web page, a proxy's notice, a truncated reply."""
    return AnalysisError(f"{endpoint} answered with a body that is not JSON ({exc})",
                         code="analysis_bad_response",
                         hint="check that base_url points at the API itself, not a web page or a proxy")


def parsed(response: Any, endpoint: str) -> Any:
    """The SDKs hand back a body that is not declared JSON as plain text, not as their model."""
    if isinstance(response, (str, bytes)):
        raise bad_body(endpoint, ValueError(f"got {len(response)} characters of text: {str(response)[:60]!r}"))
    return response


def _retryable(error: AnalysisError, retry_after: float | None = None) -> AnalysisError:
    error.retryable = True
    error.retry_after = retry_after
    return error


def _retry_after(response: Any) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after")))
    except (AttributeError, TypeError, ValueError):
        return None
