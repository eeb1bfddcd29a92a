"""Decoders: libsndfile for WAV/FLAC/OGG/MP3, FFmpeg (through PyAV) for every supported format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hearflow import Audio, Decoder, InputError, SUPPORTED_FORMATS, hookimpl


def _corrupt(path: Path, format: str, detail: object) -> InputError:
    reason = getattr(detail, "strerror", None) or detail  # FFmpeg errors carry a readable strerror
    return InputError(
        f"{path}: looks like {format.upper()} but cannot be decoded ({reason})",
        code="corrupt_audio",
        hint="the file may be truncated or damaged; re-export it from the source system",
    )


def _checked(samples: np.ndarray, path: Path, format: str) -> np.ndarray:
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise _corrupt(path, format, "no audio samples")
    return np.ascontiguousarray(samples, dtype=np.float32)


class SoundfileDecoder(Decoder):
    name = "soundfile"
    description = "libsndfile: exact PCM, μ-law and A-law WAV, FLAC, Ogg Vorbis/Opus, MP3"
    requires = ("soundfile",)
    formats = frozenset({"wav", "flac", "ogg", "mp3"})

    def decode(self, path, *, format, sha256, size_bytes):
        import soundfile

        try:
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise _corrupt(path, format, exc) from None
        return Audio(_checked(data.T, path, format), int(rate), sha256, format, str(path), size_bytes)


class FfmpegDecoder(Decoder):
    name = "ffmpeg"
    description = "FFmpeg libraries through PyAV: every supported container and codec"
    requires = ("av",)
    formats = frozenset(SUPPORTED_FORMATS)

    def decode(self, path, *, format, sha256, size_bytes):
        import av

        try:
            with av.open(str(path)) as container:
                if not container.streams.audio:
                    raise InputError(f"{path}: the file has no audio stream", code="no_audio_stream")
                stream = container.streams.audio[0]
                channels = stream.codec_context.channels or 1
                # Planar float keeps each channel apart: one row per channel.
                resampler = av.AudioResampler(format="fltp", layout=stream.layout.name,
                                              rate=stream.codec_context.sample_rate)
                chunks, rate = [], stream.codec_context.sample_rate
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray())
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray())
        except InputError:
            raise
        except (av.FFmpegError, ValueError, IndexError) as exc:
            raise _corrupt(path, format, exc) from None
        samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
        return Audio(_checked(samples, path, format), int(rate), sha256, format, str(path), size_bytes)


@hookimpl
def register_decoders(register):
    register(SoundfileDecoder)
    register(FfmpegDecoder)
