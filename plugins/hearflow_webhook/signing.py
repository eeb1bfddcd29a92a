"""HMAC-SHA256 signatures over ``"<timestamp>." + body``: what a sender signs and a receiver checks.

The timestamp is part of the signed bytes, so a captured request cannot be replayed later with a
fresh timestamp: the receiver rejects it once it is older than the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from hearflow import HearflowError

SECRET_ENV = "HEARFLOW_WEBHOOK_SECRET"
SCHEME = "sha256"
DEFAULT_TOLERANCE = 300  # seconds a signature stays acceptable, either side of the receiver's clock

TIMESTAMP_HEADER = "X-Hearflow-Timestamp"
SIGNATURE_HEADER = "X-Hearflow-Signature"
DELIVERY_HEADER = "X-Hearflow-Delivery"
ATTEMPT_HEADER = "X-Hearflow-Attempt"


class SignatureError(HearflowError):
    """A webhook request whose signature does not prove it came from hearflow, or came too late."""

    code = "signature_invalid"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Hearflow-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(secret: str, body: bytes, timestamp: str | int, signature: str, *,
           tolerance: float | None = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ours for these exact bytes and
    ``timestamp`` lies within ``tolerance`` seconds of ``now``. ``tolerance=None`` skips the age
    check (useful only to inspect an old, logged request)."""
    timestamp = str(timestamp).strip()
    if not timestamp.isdigit():
        raise SignatureError(f"timestamp {timestamp!r} is not unix seconds", code="signature_malformed")
    if not signature.startswith(f"{SCHEME}="):
        raise SignatureError(f"signature should start with '{SCHEME}='", code="signature_malformed")
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry any byte.
    expected = sign(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "surrogateescape")):
        raise SignatureError("signature does not match the body and timestamp (wrong secret, or the "
                             "body was changed or re-encoded)", code="signature_mismatch")
    # Checked after the signature: an expired request is a genuine one, replayed or delayed.
    age = (time.time() if now is None else now) - int(timestamp)
    if tolerance is not None and abs(age) > tolerance:
        direction = "old" if age > 0 else "in the future"
        raise SignatureError(f"timestamp is {abs(age):.0f} s {direction}; the limit is {tolerance:g} s",
                             code="signature_expired",
                             hint="a replayed request, or a clock out of sync: check NTP on both sides")
