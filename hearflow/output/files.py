"""Writing formatted results to disk without leaving half-written files behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hearflow.models import CallResult
from hearflow.plugins.manager import Registry


def output_stem(result: CallResult) -> str:
    return Path(result.source).stem or result.id


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


ALL_FORMATS = "all"


def expand_formats(registry: Registry, formats) -> list[str]:
    """The format names asked for, "all" standing for every formatter whose libraries are installed."""
    names: list[str] = []
    for name in formats:
        chosen = [f.name for f in registry.stages("formatter") if f.available()] if name == ALL_FORMATS else [name]
        names += [n for n in chosen if n not in names]
    return names


def write_outputs(registry: Registry, result: CallResult, formats: list[str], out_dir: Path) -> list[Path]:
    written = []
    for name in expand_formats(registry, formats):
        formatter = registry.get("formatter", name)()
        path = out_dir / f"{output_stem(result)}.{formatter.extension}"
        write_atomic(path, formatter.render(result))
        written.append(path)
    return written
