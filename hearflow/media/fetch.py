"""Recordings given as https URLs: fetched to a temporary file, processed, then deleted.

The bytes are never stored: only the analysis of them is, as with hosted APIs' audio_url input.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from hearflow.errors import InputError

CA_BUNDLE_ENV = "HEARFLOW_CA_BUNDLE"  # extra trust for private https servers


def is_url(source: str) -> bool:
    return urlparse(str(source)).scheme in ("http", "https")


@contextmanager
def local_copy(source: str, *, max_bytes: int, timeout: float = 30.0, attempts: int = 3) -> Iterator[Path]:
    """A path to read the recording from; for a URL, a temporary download deleted on exit."""
    if not is_url(source):
        yield Path(source)
        return
    suffix = Path(urlparse(source).path).suffix[:8]
    handle, name = tempfile.mkstemp(prefix="hearflow-", suffix=suffix)
    os.close(handle)
    try:
        download(source, Path(name), max_bytes=max_bytes, timeout=timeout, attempts=attempts)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def download(url: str, target: Path, *, max_bytes: int, timeout: float, attempts: int) -> None:
    """GET over https with a size limit, retrying timeouts, dropped connections and 5xx/429."""
    import httpx

    if urlparse(url).scheme != "https":
        raise InputError(f"{url}: only https URLs are fetched", code="insecure_url",
                         hint="serve the recording over https, or download it and pass the file")
    verify = os.environ.get(CA_BUNDLE_ENV) or True
    for attempt in range(1, attempts + 1):
        try:
            with httpx.Client(timeout=timeout, verify=verify, follow_redirects=True) as client:
                with client.stream("GET", url) as response:
                    if response.status_code >= 500 or response.status_code == 429:
                        raise _Retryable(f"HTTP {response.status_code}")
                    if response.status_code != 200:
                        raise InputError(f"{url}: HTTP {response.status_code}", code="url_unavailable")
                    _save(response, target, url, max_bytes)
                    return
        except (_Retryable, httpx.TimeoutException, httpx.TransportError) as exc:
            if attempt == attempts:
                raise InputError(f"{url}: not fetched after {attempts} attempts ({exc or type(exc).__name__})",
                                 code="url_unavailable") from None
            time.sleep(min(2 ** (attempt - 1), 10))


def _save(response, target: Path, url: str, max_bytes: int) -> None:
    declared = int(response.headers.get("content-length") or 0)
    if declared > max_bytes:
        raise InputError(f"{url}: {declared / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
                         code="file_too_large")
    received = 0
    with target.open("wb") as out:
        for chunk in response.iter_bytes(1 << 16):
            received += len(chunk)
            if received > max_bytes:  # the header may lie or be absent
                raise InputError(f"{url}: more than the {max_bytes / 1e6:g} MB limit", code="file_too_large")
            out.write(chunk)


class _Retryable(Exception):
    pass
