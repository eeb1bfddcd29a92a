"""Recordings given as https URLs: fetched to a temporary file, processed, then deleted.

The bytes are never stored: only the analysis of them is, as with hosted APIs' audio_url input.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from hearflow.errors import ConfigError, HearflowError, InputError

CA_BUNDLE_ENV = "HEARFLOW_CA_BUNDLE"  # extra trust for private https servers


def is_url(source: str) -> bool:
    return urlparse(str(source)).scheme in ("http", "https")


MAX_REDIRECTS = 5  # enough for a CDN hop or two; a loop or a long chain is refused

# A check of one URL, raising a coded error; every hop of a redirect chain goes through it.
UrlCheck = Callable[[str], None]


def require_https(url: str) -> None:
    if urlparse(url).scheme != "https":
        raise InputError(f"{url}: only https URLs are fetched", code="insecure_url",
                         hint="serve the recording over https, or download it and pass the file")


@contextmanager
def local_copy(source: str, *, max_bytes: int, timeout: float = 30.0, attempts: int = 3,
               check: UrlCheck | None = None) -> Iterator[Path]:
    """A path to read the recording from; for a URL, a temporary download deleted on exit.

    Coded errors raised while the download is in use name the URL, not the temporary file.
    ``check`` adds a rule (e.g. no private addresses) applied, with https-only, to every hop."""
    if not is_url(source):
        yield Path(source)
        return
    suffix = Path(urlparse(source).path).suffix[:8]
    handle, name = tempfile.mkstemp(prefix="hearflow-", suffix=suffix)
    os.close(handle)
    try:
        download(source, Path(name), max_bytes=max_bytes, timeout=timeout, attempts=attempts, check=check)
        yield Path(name)
    except HearflowError as exc:
        if name not in exc.message:
            raise
        raise type(exc)(exc.message.replace(name, source), code=exc.code, hint=exc.hint) from None
    finally:
        Path(name).unlink(missing_ok=True)


def download(url: str, target: Path, *, max_bytes: int, timeout: float, attempts: int,
             check: UrlCheck | None = None) -> None:
    """GET over https with a size limit, retrying timeouts, dropped connections and 5xx/429.

    Redirects are followed by hand, https to https only and at most MAX_REDIRECTS, so each hop
    passes the same checks as the first URL. A certificate that does not verify is not retried:
    it will not verify the next time either."""
    import httpx

    checks = [require_https] + ([check] if check else [])
    for rule in checks:
        rule(url)
    verify = _trust()
    for attempt in range(1, attempts + 1):
        try:
            with httpx.Client(timeout=timeout, verify=verify, follow_redirects=False) as client:
                _fetch(client, url, target, max_bytes, checks)
                return
        except httpx.ConnectError as exc:
            if _certificate_failure(exc):
                raise InputError(f"{url}: the server's certificate does not verify ({exc})",
                                 code="untrusted_certificate",
                                 hint=f"for a private certificate authority, set {CA_BUNDLE_ENV} to its "
                                      "PEM file") from None
            failure = exc
        except (_Retryable, httpx.TimeoutException, httpx.TransportError) as exc:
            failure = exc
        if attempt == attempts:
            raise InputError(f"{url}: not fetched after {attempts} attempts ({failure or type(failure).__name__})",
                             code="url_unavailable") from None
        time.sleep(min(2 ** (attempt - 1), 10))


def _fetch(client, url: str, target: Path, max_bytes: int, checks: list[UrlCheck]) -> None:
    first = url
    for _ in range(MAX_REDIRECTS + 1):
        with client.stream("GET", url) as response:
            if response.is_redirect:
                location = response.headers.get("location", "")
                following = str(response.url.join(location))
                for rule in checks:
                    try:
                        rule(following)
                    except HearflowError as exc:  # the caller's rule may raise its own kind
                        raise type(exc)(f"{first}: redirected to {exc.message}", code=exc.code,
                                        hint=exc.hint) from None
                url = following
                continue
            if response.status_code >= 500 or response.status_code == 429:
                raise _Retryable(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise InputError(f"{url}: HTTP {response.status_code}", code="url_unavailable")
            _save(response, target, url, max_bytes)
            return
    raise InputError(f"{first}: more than {MAX_REDIRECTS} redirects", code="too_many_redirects",
                     hint="pass the final URL of the recording")


def _trust():
    bundle = os.environ.get(CA_BUNDLE_ENV)
    if not bundle:
        return True
    try:
        return ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{CA_BUNDLE_ENV}={bundle}: not a readable PEM file of certificates ({exc})",
                          code="invalid_config") from None


def _certificate_failure(exc: Exception) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


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
