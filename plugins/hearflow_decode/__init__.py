"""Decoders: libsndfile for WAV/FLAC/OGG/MP3, FFmpeg (through PyAV) for every supported format.

Both hand the file over a block at a time (``Decoder.blocks``), so the pipeline resamples as it
decodes and never holds the whole call at the file's own rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hearflow import Decoder, InputError, SUPPORTED_FORMATS, hookimpl

BLOCK = 1 << 17  # samples per channel handed on at a time: a few seconds, a few hundred KB


def _corrupt(path: Path, format: str, detail: object) -> InputError:
    reason = getattr(detail, "strerror", None) or detail  # FFmpeg errors carry a readable strerror
    return InputError(
        f"{path}: looks like {format.upper()} but cannot be decoded ({reason})",
        code="corrupt_audio",
        hint="the file may be truncated or damaged; re-export it from the source system",
    )


def _checked(blocks: Iterator[np.ndarray], path: Path, format: str, errors: tuple) -> Iterator[np.ndarray]:
    """The decoder's blocks as float32, its errors as ``corrupt_audio``, and a file that yields no
    samples at all refused the same way."""
    total = 0
    try:
        for block in blocks:
            total += block.shape[1]
            yield np.asarray(block, dtype=np.float32)
    except errors as exc:
        raise _corrupt(path, format, exc) from None
    if total == 0:
        raise _corrupt(path, format, "no audio samples")


class SoundfileDecoder(Decoder):
    name = "soundfile"
    description = "libsndfile: exact PCM, μ-law and A-law WAV, FLAC, Ogg Vorbis/Opus, MP3"
    requires = ("soundfile",)
    formats = frozenset({"wav", "flac", "ogg", "mp3"})

    def blocks(self, path, *, format):
        import soundfile

        errors = (soundfile.LibsndfileError, RuntimeError)
        try:
            handle = soundfile.SoundFile(str(path))
        except errors as exc:
            raise _corrupt(path, format, exc) from None
        if handle.channels < 1:
            handle.close()
            raise _corrupt(path, format, "no audio channels")

        def read():
            with handle:
                for block in handle.blocks(BLOCK, dtype="float32", always_2d=True):
                    yield block.T  # (samples, channels) → one row per channel

        return int(handle.samplerate), int(handle.channels), _checked(read(), path, format, errors)


class FfmpegDecoder(Decoder):
    name = "ffmpeg"
    description = "FFmpeg libraries through PyAV: every supported container and codec"
    requires = ("av",)
    formats = frozenset(SUPPORTED_FORMATS)

    def blocks(self, path, *, format):
        import av

        errors = (av.FFmpegError, ValueError, IndexError)
        try:
            container = av.open(str(path))
            if not container.streams.audio:
                container.close()
                raise InputError(f"{path}: the file has no audio stream", code="no_audio_stream")
            stream = container.streams.audio[0]
            if stream.codec_context is None:  # e.g. a WAV whose format tag names no codec
                container.close()
                raise _corrupt(path, format, "no decoder for its audio codec")
            channels = stream.codec_context.channels or 1
            rate = stream.codec_context.sample_rate
            # Planar float keeps each channel apart: one row per channel.
            resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=rate)
        except InputError:
            raise
        except errors as exc:
            raise _corrupt(path, format, exc) from None

        def frames():
            with container:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        yield out.to_ndarray()
                for out in resampler.resample(None):
                    yield out.to_ndarray()

        return int(rate), int(channels), _checked(_gathered(frames(), channels), path, format, errors)


def _gathered(frames: Iterator[np.ndarray], channels: int) -> Iterator[np.ndarray]:
    """Codec frames (a thousand samples or so each) joined into blocks of about ``BLOCK``."""
    pending, held = [], 0
    for frame in frames:
        pending.append(frame)
        held += frame.shape[1]
        if held >= BLOCK:
            yield np.concatenate(pending, axis=1)
            pending, held = [], 0
    if pending:
        yield np.concatenate(pending, axis=1)


@hookimpl
def register_decoders(register):
    register(SoundfileDecoder)
    register(FfmpegDecoder)
