"""Signed, expiring URLs for a job's files: HMAC-SHA256 over the path and the expiry.

A changed path, expiry or signature fails the HMAC (403); a genuine URL past its expiry is 410.
The signature is checked first, so a forged expiry can never turn a 403 into anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

from hearflow.http.errors import ApiError

FILES_PREFIX = "/v1/files"


def file_path(job_id: str, name: str) -> str:
    return f"{FILES_PREFIX}/{quote(job_id)}/{quote(name)}"


class UrlSigner:
    def __init__(self, secret: str, lifetime: int):
        self._key = secret.encode()
        self.lifetime = lifetime

    def _mac(self, path: str, expires: int) -> str:
        return hmac.new(self._key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, base_url: str, path: str, *, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + self.lifetime
        return f"{base_url}{path}?expires={expires}&signature={self._mac(path, expires)}"

    def verify(self, path: str, expires: str | None, signature: str | None, *, now: float | None = None) -> None:
        if not expires or not signature or not expires.isdigit():
            raise ApiError("this URL is not signed", code="signature_invalid",
                           hint="use the URL from the job's formats or result_url as given")
        expected = self._mac(path, int(expires)).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
            raise ApiError("the URL's signature does not match its path and expiry", code="signature_invalid",
                           hint="use the URL from the job's formats or result_url as given")
        if int(expires) < (now if now is not None else time.time()):
            raise ApiError("this signed URL has expired", code="url_expired",
                           hint="GET the job again for fresh URLs")
