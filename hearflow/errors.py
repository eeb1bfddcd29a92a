"""Coded errors: every failure a user can cause has a stable code and a plain message."""

from __future__ import annotations


class HearflowError(Exception):
    """An error with a stable, machine-readable code (``snake_case``) and a human message."""

    code = "hearflow_error"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def __reduce__(self):
        # Keep code and hint when Prefect or a worker process pickles the error.
        return (_rebuild, (type(self), self.message, self.code, self.hint))


def _rebuild(cls, message, code, hint):
    return cls(message, code=code, hint=hint)


class InputError(HearflowError):
    """The recording itself cannot be used (empty, corrupt, too large, not audio)."""

    code = "invalid_input"


class ConfigError(HearflowError):
    """Options or settings are wrong (unknown stage, typo in an option, bad language)."""

    code = "invalid_config"


class StageUnavailableError(HearflowError):
    """A stage was selected whose optional dependencies are not installed."""

    code = "stage_unavailable"


class NotFoundError(HearflowError):
    """A call id or other stored object does not exist."""

    code = "not_found"


class AnalysisError(HearflowError):
    """An analyzer gave no valid analysis (malformed output, refused, endpoint down)."""

    code = "analysis_failed"


class StoreError(HearflowError):
    """The SQLite store cannot be opened or written (corrupt, read-only, from a newer version)."""

    code = "store_unavailable"
