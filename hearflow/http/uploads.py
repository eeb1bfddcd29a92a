"""Uploaded recordings: copied to a spool file with the size limit applied while copying, hashed,
and checked to be audio before any job or analysis is made of them."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from hearflow.errors import InputError
from hearflow.http.errors import ApiError
from hearflow.media.audiofile import inspect, probe_seconds

CHUNK = 1 << 20
MULTIPART_OVERHEAD = 64_000  # form fields and part headers around the recording


@dataclass(frozen=True)
class Spooled:
    path: Path
    sha256: str
    size: int
    seconds: float | None = None  # from the headers; what a queued job reserves of its key's allowance


def check_declared_length(headers, max_bytes: int) -> None:
    """Refuse an upload that says it is too large before reading any of it."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise ApiError(f"the request is {int(declared) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB",
                       code="file_too_large")


def safe_name(filename: str | None, fallback: str = "recording") -> str:
    """The upload's own name (it names the format files), without any directory part."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "").name).strip("._")[:120]
    return name or fallback


def spool(upload, folder: Path, max_bytes: int) -> Spooled:
    """Copy an UploadFile into ``folder``; the folder is removed again if the upload is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(getattr(upload, "filename", None))
    digest, size = hashlib.sha256(), 0
    try:
        upload.file.seek(0)
        with target.open("wb") as out:
            for chunk in iter(lambda: upload.file.read(CHUNK), b""):
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(f"the recording is over the {max_bytes / 1e6:g} MB limit", code="file_too_large")
                digest.update(chunk)
                out.write(chunk)
        inspect(target, max_bytes=max_bytes)  # empty, not audio, a PDF…: refused now, not as a failed job
    except InputError as exc:  # the message names the upload, not where the server spooled it
        shutil.rmtree(folder, ignore_errors=True)
        raise InputError(exc.message.replace(str(target), target.name), code=exc.code, hint=exc.hint) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Spooled(target, digest.hexdigest(), size, probe_seconds(target))
