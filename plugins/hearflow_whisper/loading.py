"""Where a model runs (CPU or a CUDA GPU, at which precision) and one load per process, which
may start early in the background (a load takes seconds; audio work can go on meanwhile)."""

from __future__ import annotations

import threading
from concurrent.futures import Future

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


def threads_per_worker(cpu_threads: int, workers: int) -> int:
    """``cpu_threads`` 0 (auto): the process's cores shared out among the model's ``workers``, one
    thread at least. CTranslate2's own default gives every worker all the cores, so two
    transcriptions at once (a stereo call's channels, an archive's calls), or one beside the
    diarizer, ran more OpenMP threads than cores, which spin against each other: on two busy cores
    a 2-minute mono call took 35-71 CPU seconds that way against 30-34 with one thread."""
    if cpu_threads:
        return cpu_threads
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))


_loads: dict[tuple, Future] = {}
_loads_lock = threading.Lock()


def start_loading(path: str, device: str, compute_type: str, cpu_threads: int, local_files_only: bool,
                  workers: int = 1) -> Future:
    """The load of a WhisperModel, begun in a background thread unless it is loaded or loading
    already: one load per (path, device, precision, threads, workers) for the whole process."""
    key = (path, device, compute_type, cpu_threads, local_files_only, workers)
    with _loads_lock:
        future = _loads.get(key)
        if future is None:
            future = _loads[key] = Future()
            threading.Thread(target=_load_into, args=(future, key), name="whisper-load", daemon=True).start()
    return future


def load_model(path: str, device: str, compute_type: str, cpu_threads: int, local_files_only: bool,
               workers: int = 1):
    """A WhisperModel, loaded once per (path, device, precision) and kept for the process;
    ``workers`` transcriptions can run on it at once (from as many threads)."""
    return start_loading(path, device, compute_type, cpu_threads, local_files_only, workers).result()


def _load_into(future: Future, key: tuple) -> None:
    try:
        future.set_result(_load(*key))
    except BaseException as exc:
        with _loads_lock:  # a failed load is not kept: the next call tries again
            _loads.pop(key, None)
        future.set_exception(exc)


def _load(path: str, device: str, compute_type: str, cpu_threads: int, local_files_only: bool, workers: int):
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
