"""Model references that are either a local path or a name a model hub resolves."""

from __future__ import annotations

from pathlib import Path

from hearflow.errors import ConfigError


def local_or_hub(reference: str, *, what: str, hint: str) -> str:
    """``reference`` as an existing local path, or unchanged as a hub name.

    Something written as a path (absolute, ``./…``, ``~/…``, or with a known weights suffix)
    that does not exist is an error now, not a confusing hub lookup later.
    """
    candidate = Path(reference).expanduser()
    if candidate.exists():
        return str(candidate)
    if candidate.is_absolute() or reference.startswith((".", "~")) or candidate.suffix in {".nemo", ".yaml", ".ckpt"}:
        raise ConfigError(f"{what} {candidate} does not exist", code="model_unavailable", hint=hint)
    return reference
