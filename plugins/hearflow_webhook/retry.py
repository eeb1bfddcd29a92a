"""When to try a webhook again, and how long to wait first."""

from __future__ import annotations

MAX_DELAY = 60.0  # seconds; a longer wait would hold the flow for little gain

# 408 and 429 say "later"; 5xx are the receiver's own trouble. Any other 4xx (bad signature,
# unknown route, payload refused) would get the same answer again.
RETRYABLE_4XX = frozenset({408, 429})


def is_retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_4XX


def backoff_delay(attempt: int, base: float, *, retry_after: str | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): ``base * 2**(attempt-1)``, or the
    receiver's ``Retry-After`` seconds when it asks for longer; never more than :data:`MAX_DELAY`."""
    delay = base * 2 ** (attempt - 1)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, MAX_DELAY)
