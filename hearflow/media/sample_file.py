"""Decoded channels in a memory file, written block by block as they are decoded and resampled,
then mapped once, read-only, by the process that runs the stages: the samples exist once, at the
rate the stages need, and no step holds a second float copy of the call.

Channel ``c`` starts at byte ``c * REGION``. A memory file takes memory only for the bytes
written, so the regions cost nothing until filled and no length has to be known in advance; the
mapped array is ``(channels, n)`` with one contiguous row per channel.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Iterable

import numpy as np

from hearflow.errors import InputError
from hearflow.media.audio import StreamResampler

REGION = 1 << 34  # bytes per channel: 2^32 float32 samples, 74 hours at 16 kHz
_ITEM = np.dtype(np.float32).itemsize


def memory_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("hearflow-decode", os.MFD_CLOEXEC)
    handle = tempfile.TemporaryFile()  # elsewhere: an unlinked temporary file (sparse)
    return os.dup(handle.fileno())


def write_channels(fd: int, rate: int, channels: int, blocks: Iterable[np.ndarray], target: int | None,
                   path) -> int:
    """Each ``(channels, n)`` block's rows resampled to ``target`` Hz (None: kept at ``rate``) and
    appended to their channel's region. Returns the length of every channel, in samples."""
    resamplers = [StreamResampler(rate, target or rate) for _ in range(channels)]
    written = [0] * channels

    def append(channel: int, samples: np.ndarray) -> None:
        if written[channel] + len(samples) > REGION // _ITEM:
            raise InputError(f"{path}: longer than {REGION // _ITEM / (target or rate) / 3600:.0f} hours",
                             code="file_too_large")
        view, done, offset = memoryview(samples).cast("B"), 0, channel * REGION + written[channel] * _ITEM
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)
        written[channel] += len(samples)

    for block in blocks:
        if block.ndim != 2 or block.shape[0] != channels:
            raise ValueError(f"a decoded block of shape {block.shape} for {channels} channel(s)")
        for channel in range(channels):
            append(channel, resamplers[channel](block[channel]))
    for channel in range(channels):
        append(channel, resamplers[channel](np.zeros(0, np.float32), last=True))
    return min(written)


def map_channels(fd: int, channels: int, length: int) -> np.ndarray:
    """The ``(channels, length)`` read-only array over what ``write_channels`` wrote."""
    if channels == 0 or length == 0:
        return np.zeros((channels, 0), dtype=np.float32)
    size = (channels - 1) * REGION + length * _ITEM
    if os.fstat(fd).st_size < size:
        raise ValueError("the memory file holds fewer samples than reported")
    mapped = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)  # read-only: nothing is charged twice
    return np.ndarray((channels, length), dtype=np.float32, buffer=mapped, strides=(REGION, _ITEM))
