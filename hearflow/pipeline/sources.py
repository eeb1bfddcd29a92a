"""Turning archive sources (directories, list files, URLs) into the recordings to process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hearflow.errors import InputError
from hearflow.media.audiofile import SUPPORTED_FORMATS
from hearflow.media.fetch import is_url

AUDIO_SUFFIXES = frozenset(f".{name}" for name in SUPPORTED_FORMATS)
LIST_SUFFIXES = frozenset({".txt", ".list", ".lst"})
LIST_ENCODING = "utf-8"  # declared, not the locale's: a list must read the same on every machine


@dataclass(frozen=True)
class BadEntry:
    """An entry of a list file that cannot be used, in its place: the caller records it as one
    failure (``source`` is ``list.txt:LINE``) and the other entries still run."""

    source: str
    error: InputError


def expand_sources(sources: list[str], pattern: str = "**/*") -> list[str | BadEntry]:
    """Every recording named by ``sources``, in a stable order, each once.

    A directory is searched with ``pattern``; with the default pattern only files with an audio
    extension are taken, so notes and spreadsheets beside the calls are left alone. A ``.txt``
    list names one path or URL per line (``#`` starts a comment; relative paths are relative to
    the list; the file is UTF-8, and a line that is not is a :class:`BadEntry`). Anything else is
    taken as a recording, and fails later if it is not one.
    """
    found: list[str | BadEntry] = []
    for source in sources:
        path = Path(source).expanduser()
        if is_url(source):
            found.append(source)
        elif path.is_dir():
            matches = sorted(p for p in path.glob(pattern) if p.is_file() and not p.name.startswith("."))
            found.extend(str(p) for p in matches if pattern != "**/*" or p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.suffix.lower() in LIST_SUFFIXES and path.is_file():
            found.extend(_list_file(path))
        else:
            found.append(str(path))
    return list(dict.fromkeys(found))  # BadEntry is hashable: each kept once too


def _list_file(path: Path) -> list[str | BadEntry]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [BadEntry(str(path), InputError(f"{path}: cannot be read ({exc.strerror or exc})",
                                               code="unreadable_file"))]
    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
    entries: list[str | BadEntry] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode(LIST_ENCODING)
        except UnicodeDecodeError as exc:
            entries.append(BadEntry(f"{path}:{number}", InputError(
                f"{path}, line {number}: not valid {LIST_ENCODING} (byte {raw[exc.start]:#04x} at column "
                f"{exc.start + 1})", code="invalid_list_entry",
                hint=f"save the list as {LIST_ENCODING}, e.g. iconv -f latin1 -t utf-8")))
            continue
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.append(entry if is_url(entry) else str((path.parent / entry).expanduser()))
    return entries
