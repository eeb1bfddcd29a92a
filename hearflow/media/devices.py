"""Where a stage runs: ``auto`` takes a CUDA GPU when its backend sees one, else the CPU;
``cuda`` without one is a coded error, found before any audio work."""

from __future__ import annotations

from typing import Literal

from hearflow.errors import ConfigError

Device = Literal["auto", "cpu", "cuda"]


def choose_device(device: str, gpus: int, backend: str) -> str:
    """``cpu`` or ``cuda`` for ``device``, given how many GPUs ``backend`` sees."""
    if device == "cuda" and not gpus:
        raise ConfigError(f"--device cuda was asked for, but {backend} sees no CUDA GPU", code="cuda_unavailable",
                          hint="check nvidia-smi and the CUDA 12 / cuDNN 9 libraries, or use --device cpu")
    return "cuda" if device == "cuda" or (device == "auto" and gpus) else "cpu"


def torch_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def onnxruntime_gpus() -> int:
    import onnxruntime

    return int("CUDAExecutionProvider" in onnxruntime.get_available_providers())
