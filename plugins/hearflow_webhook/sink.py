"""The ``webhook`` sink: POST each finished call, signed, to every configured URL."""

from __future__ import annotations

import json
import os
import time
import uuid
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from hearflow import (CallResult, ConfigError, DeliveryAttempt, DeliveryReport, Sink, StageOptions, __version__, utc_now)
from hearflow_webhook.retry import backoff_delay, is_retryable
from hearflow_webhook.signing import (ATTEMPT_HEADER, DELIVERY_HEADER, SECRET_ENV, SIGNATURE_HEADER,
                                      TIMESTAMP_HEADER, sign)

ERROR_BODY_CHARS = 200  # enough of a refusal's body to see why, without logging a whole page


def request_body(result: CallResult) -> bytes:
    """The exact bytes sent and signed: the call's JSON response, compact, UTF-8."""
    return json.dumps(result.to_response(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookSink(Sink):
    name = "webhook"
    description = "POST each finished call as signed JSON (HMAC-SHA256) to one or more URLs, with retries"
    requires = ("httpx",)

    class Options(StageOptions):
        urls: list[str] = Field(min_length=1)
        secret: SecretStr | None = Field(default=None, json_schema_extra={"env": [SECRET_ENV]})  # default: the env
        timeout: float = Field(default=10.0, gt=0)
        max_attempts: int = Field(default=5, ge=1)
        backoff: float = Field(default=1.0, ge=0)

        @field_validator("urls")
        @classmethod
        def _http_urls(cls, urls: list[str]) -> list[str]:
            for url in urls:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise ValueError(f"{url!r} is not an http(s) URL with a host")
            return urls

    def __init__(self, options=None):
        super().__init__(options)
        secret = self.options.secret.get_secret_value() if self.options.secret else os.environ.get(SECRET_ENV)
        if not secret:
            # Unsigned webhooks let anyone who learns the URL post fake calls to the receiver.
            raise ConfigError(f"sink 'webhook': no signing secret (set secret, or ${SECRET_ENV})",
                              code="invalid_options",
                              hint=f"export {SECRET_ENV}=$(openssl rand -hex 32) and give the same value "
                                   "to the receiver")
        self._secret = SecretStr(secret)

    def deliver(self, result: CallResult) -> list[DeliveryReport]:
        return self.post(request_body(result))

    def post(self, body: bytes) -> list[DeliveryReport]:
        """POST ``body`` (any JSON document, e.g. the HTTP API's job events) to every URL, signed
        and retried exactly as a call is."""
        import httpx

        headers = {"Content-Type": "application/json", "User-Agent": f"hearflow/{__version__}"}
        with httpx.Client(timeout=self.options.timeout, headers=headers) as client:
            return [self._deliver_to(client, url, body) for url in self.options.urls]

    def _deliver_to(self, client, url: str, body: bytes) -> DeliveryReport:
        delivery_id = str(uuid.uuid4())  # one per call and URL, kept across retries for de-duplication
        attempts: list[DeliveryAttempt] = []
        for number in range(1, self.options.max_attempts + 1):
            attempt, retry, retry_after = self._attempt(client, url, body, delivery_id, number)
            attempts.append(attempt)
            if not retry or number == self.options.max_attempts:
                break
            time.sleep(backoff_delay(number, self.options.backoff, retry_after=retry_after))
        delivered = attempts[-1].status is not None and 200 <= attempts[-1].status < 300
        return DeliveryReport(sink=self.name, target=url, delivered=delivered, attempts=tuple(attempts))

    def _attempt(self, client, url: str, body: bytes, delivery_id: str,
                 number: int) -> tuple[DeliveryAttempt, bool, str | None]:
        """One POST: the attempt, whether another could succeed, and the receiver's Retry-After."""
        import httpx

        # Signed afresh each time, so a late retry still falls inside the receiver's replay window.
        timestamp = str(int(time.time()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(self._secret.get_secret_value(),
                                                                       timestamp, body),
                   DELIVERY_HEADER: delivery_id, ATTEMPT_HEADER: str(number)}
        at, started = utc_now(), time.monotonic()

        def attempt(status: int | None, error: str | None) -> DeliveryAttempt:
            return DeliveryAttempt(attempt=number, at=at, status=status, error=error,
                                   seconds=round(time.monotonic() - started, 3))

        try:
            response = client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:  # timeouts, refused or dropped connections: worth another try
            return attempt(None, f"{type(exc).__name__}: {exc}"), True, None
        except Exception as exc:  # anything else is a bug or a bad URL; report it, never raise
            return attempt(None, f"{type(exc).__name__}: {exc}"), False, None
        if response.is_success:
            return attempt(response.status_code, None), False, None
        return (attempt(response.status_code, _refusal(response)), is_retryable(response.status_code),
                response.headers.get("Retry-After"))


def _refusal(response) -> str:
    text = " ".join(response.text[:ERROR_BODY_CHARS].split())
    return f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")
