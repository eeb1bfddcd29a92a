"""Progress reporting for long work. The CLI installs a reporter; library use stays silent."""

from __future__ import annotations

import threading
from typing import Protocol


class Reporter(Protocol):
    def __call__(self, stage: str, fraction: float | None = None, detail: str = "") -> None: ...


def _silent(stage: str, fraction: float | None = None, detail: str = "") -> None:
    return None


_lock = threading.Lock()
_reporter: Reporter = _silent


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    with _lock:
        _reporter = reporter or _silent


def report(stage: str, fraction: float | None = None, detail: str = "") -> None:
    _reporter(stage, fraction, detail)
