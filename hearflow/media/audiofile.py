"""Reading a recording's bytes safely: size limit, fingerprint, and what format it claims to be."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from hearflow.errors import InputError

DEFAULT_MAX_BYTES = 100_000_000  # the 100 MB limit of the hosted APIs hearflow replaces
SUPPORTED_FORMATS = ("wav", "mp3", "mp4", "m4a", "ogg", "flac", "webm", "aac", "amr")

# Signatures of common files that are not audio, so the error can say what the file is.
_NOT_AUDIO = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
)


@dataclass(frozen=True)
class Fingerprint:
    path: Path
    sha256: str
    size_bytes: int
    format: str


def inspect(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[int, str]:
    """Size and sniffed format, reading only the first bytes: the cheap checks, done first."""
    path = Path(path)
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        _check_size(path, size, max_bytes)
        head = _read(handle, path, 64)
    return size, sniff(head, path)


def fingerprint(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Fingerprint:
    """Check a file can be read and is plausibly audio; hash its bytes without loading them all."""
    path = Path(path)
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        _check_size(path, size, max_bytes)
        head = _read(handle, path, 64)
        format = sniff(head, path)
        digest.update(head)
        for block in iter(lambda: _read(handle, path, 1 << 20), b""):
            digest.update(block)
    return Fingerprint(path, digest.hexdigest(), size, format)


# What a path is when it is not a regular file, for the error message.
_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def open_regular(path: Path):
    """Open ``path`` for reading only if it is a regular file (symlinks to one are fine).

    A FIFO or a device can block the first read forever or never end, so it is refused before
    any read. The file is opened non-blocking (a FIFO with no writer would otherwise block in
    ``open`` itself) and checked again on the open descriptor, so a swap between the two checks
    is caught too."""
    try:
        _refuse_irregular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", code="unreadable_file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})", code="unreadable_file") from None
    try:
        _refuse_irregular(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _refuse_irregular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory, not a recording", code="unreadable_file")
    what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise InputError(f"{path}: is {what}, not a recording", code="not_a_regular_file",
                     hint="copy the recording to a regular file first")


def _check_size(path: Path, size: int, max_bytes: int) -> None:
    if size == 0:
        raise InputError(f"{path}: the file is empty", code="empty_file")
    if size > max_bytes:
        raise InputError(
            f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB limit",
            code="file_too_large",
            hint="raise the limit with --max-size MB if this recording is genuine",
        )


def _read(handle, path: Path, size: int) -> bytes:
    try:
        return handle.read(size)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})", code="unreadable_file") from None


def sniff(head: bytes, path: Path) -> str:
    """Name the audio format from the first bytes; the file name is only a tiebreaker."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:5] == b"#!AMR":
        return "amr"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "m4a" if path.suffix.lower() == ".m4a" else "mp4"
    if head[:3] == b"ID3" or head[:4] == b"ADIF":
        return "aac" if head[:4] == b"ADIF" else "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG frame sync: layer bits 00 mean ADTS (AAC), anything else is MPEG audio.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    for magic, what in _NOT_AUDIO:
        if head.startswith(magic):
            raise InputError(f"{path}: this is {what}, not audio", code="unsupported_format",
                             hint=f"supported: {', '.join(SUPPORTED_FORMATS)}")
    if head[:4] in (b"RIFF", b"RF64") or (path.suffix.lower() == ".wav" and head[:2] == b"RI"):
        raise InputError(f"{path}: a RIFF file that is not WAVE audio, or a truncated header",
                         code="corrupt_audio")
    if _looks_like_text(head):
        raise InputError(f"{path}: this is a text file, not audio", code="not_audio",
                         hint=f"supported: {', '.join(SUPPORTED_FORMATS)}")
    raise InputError(
        f"{path}: no known audio signature in the first bytes",
        code="not_audio",
        hint=f"supported: {', '.join(SUPPORTED_FORMATS)}; the name '{path.suffix}' does not make it audio",
    )


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def probe_seconds(path: str | Path) -> float | None:
    """A recording's length from its headers, without decoding it (None when they do not say).
    The decoders use the same two libraries, so a file neither can probe fails to decode too."""
    path = str(path)
    try:
        import soundfile

        info = soundfile.info(path)
        if info.samplerate and info.frames:
            return info.frames / info.samplerate
    except Exception:  # libsndfile does not read this container: FFmpeg may
        pass
    try:
        import av

        with av.open(path) as container:
            if container.duration:
                return container.duration / av.time_base
            stream = container.streams.audio[0] if container.streams.audio else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except Exception:
        return None
    return None
