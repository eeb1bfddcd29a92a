"""Turning archive sources (directories, list files, URLs) into the recordings to process."""

from __future__ import annotations

from pathlib import Path

from hearflow.media.audiofile import SUPPORTED_FORMATS
from hearflow.media.fetch import is_url

AUDIO_SUFFIXES = frozenset(f".{name}" for name in SUPPORTED_FORMATS)
LIST_SUFFIXES = frozenset({".txt", ".list", ".lst"})


def expand_sources(sources: list[str], pattern: str = "**/*") -> list[str]:
    """Every recording named by ``sources``, in a stable order, each once.

    A directory is searched with ``pattern``; with the default pattern only files with an audio
    extension are taken, so notes and spreadsheets beside the calls are left alone. A ``.txt``
    list names one path or URL per line (``#`` starts a comment; relative paths are relative to
    the list). Anything else is taken as a recording, and fails later if it is not one.
    """
    found: list[str] = []
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
    return list(dict.fromkeys(found))


def _list_file(path: Path) -> list[str]:
    entries = []
    for line in path.read_text().splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            entries.append(entry if is_url(entry) else str((path.parent / entry).expanduser()))
    return entries
