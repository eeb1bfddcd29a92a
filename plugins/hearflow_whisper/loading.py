"""Where a model runs (CPU or a CUDA GPU, at which precision) and one load per process."""

from __future__ import annotations

import functools

from hearflow import ConfigError, choose_device

DEVICES = ("auto", "cpu", "cuda")
DEFAULT_COMPUTE = {"cpu": "int8", "cuda": "float16"}


def cuda_devices() -> int:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count()
    except RuntimeError:  # a CPU-only build of CTranslate2, or no driver
        return 0


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """``auto`` is CUDA where CTranslate2 sees a GPU, else the CPU; ``auto`` precision is float16
    on a GPU and int8 on the CPU (what each does fastest without losing accuracy)."""
    chosen = choose_device(device, cuda_devices(), "CTranslate2")
    return chosen, DEFAULT_COMPUTE[chosen] if compute_type == "auto" else compute_type


@functools.lru_cache(maxsize=4)
def load_model(path: str, device: str, compute_type: str, cpu_threads: int, local_files_only: bool,
               workers: int = 1):
    """A WhisperModel, loaded once per (path, device, precision) and kept for the process;
    ``workers`` transcriptions can run on it at once (from as many threads)."""
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads,
                            num_workers=workers, local_files_only=local_files_only)
    except Exception as exc:  # faster-whisper raises hub, OS and runtime errors alike
        raise ConfigError(
            f"whisper model '{path}' could not be loaded on {device} as {compute_type} "
            f"({type(exc).__name__}: {exc})",
            code="model_unavailable",
            hint="pass --model with a local CTranslate2 model directory (e.g. converted with "
                 "ct2-transformers-converter), or leave it out for the embedded models; "
                 "check --compute-type against what the device supports",
        ) from None
