"""Every supported input format decodes to the right duration and channel count."""

from __future__ import annotations

import pytest

from hearflow.pipeline.engine import Engine
from hearflow.media.separation import fake_stereo_reason
from media import FORMATS


@pytest.fixture(scope="module")
def engine():
    return Engine()


@pytest.mark.parametrize("layout", ["stereo", "mono"])
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_decodes_with_duration_and_channels(engine, converted, call, name, layout):
    audio = engine.decode(engine.fingerprint(converted[name, layout]))
    expected_channels = FORMATS[name][2] if layout == "stereo" else 1
    assert audio.channels == expected_channels
    assert abs(audio.duration - call.duration) <= 0.1, (name, audio.duration, call.duration)
    assert audio.samples.dtype.name == "float32"
    assert len(audio.sha256) == 64


def test_ulaw_telephony_is_carried_at_16khz_and_keeps_its_own_rate(engine, converted):
    audio = engine.decode(engine.fingerprint(converted["ulaw", "stereo"]))
    assert (audio.sample_rate, audio.file_rate, audio.channels, audio.format) == (16000, 8000, 2, "wav")
    native = engine.decode(engine.fingerprint(converted["ulaw", "stereo"]), rate=None)
    assert (native.sample_rate, native.file_rate) == (8000, 8000)
    assert abs(native.duration - audio.duration) < 1e-3


def test_sha256_is_of_the_bytes(engine, stereo_wav):
    import hashlib

    assert engine.fingerprint(stereo_wav).sha256 == hashlib.sha256(stereo_wav.read_bytes()).hexdigest()


def test_true_stereo_is_split_and_duplicated_channels_are_not(engine, converted, tmp_path, call):
    import soundfile

    stereo = engine.decode(engine.fingerprint(converted["flac", "stereo"]))
    assert fake_stereo_reason(stereo) is None
    fake = tmp_path / "fake-stereo.wav"
    soundfile.write(fake, __import__("numpy").stack([call.mono, call.mono * 0.9]).T, call.rate)
    reason = fake_stereo_reason(engine.decode(engine.fingerprint(fake)))
    assert reason is not None and "identical" in reason


def test_block_decoding_equals_resampling_the_whole_file(engine, converted):
    """Decoding resamples block by block as it reads; the joined blocks are, sample for sample,
    the whole file resampled at once, for every channel and both decoders."""
    import numpy as np
    import soundfile
    import soxr

    from hearflow.media.isolated import decode_with_limit

    for layout in ("stereo", "mono"):
        path = converted["flac", layout]
        whole, rate = soundfile.read(path, dtype="float32", always_2d=True)
        expected = soxr.resample(whole, rate, 16000, quality="HQ").T
        print_ = engine.fingerprint(path)
        for decoder in engine.decoders_for("flac"):
            audio = decode_with_limit(decoder, path, format="flac", sha256=print_.sha256,
                                      size_bytes=print_.size_bytes, seconds=60)
            assert (audio.sample_rate, audio.file_rate) == (16000, rate)
            assert np.array_equal(audio.samples, expected), (decoder.name, layout)
            assert not audio.samples.flags.writeable  # stages read the call; none may change it


def test_mono_call_is_carried_once(engine, converted):
    """The mono track a diarizer and the recogniser read is the decoded row itself, not a copy."""
    import numpy as np

    audio = engine.decode(engine.fingerprint(converted["wav", "mono"]))
    assert np.shares_memory(audio.mono(), audio.samples)
    split = engine.split(audio)  # the track the diarizer and the recogniser both read
    assert np.shares_memory(split.tracks[0].samples, audio.samples)


def test_a_decoder_that_only_implements_decode_still_works(engine, mono_wav):
    """A plugin decoder written before ``blocks`` existed: its whole-file ``decode`` is resampled too."""
    import soundfile

    from hearflow import Audio, Decoder
    from hearflow.media.isolated import decode_with_limit

    class WholeFileDecoder(Decoder):
        name = "whole-file-test"
        formats = frozenset({"wav"})

        def decode(self, path, *, format, sha256, size_bytes):
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            return Audio(data.T, rate, sha256, format, str(path), size_bytes)

    print_ = engine.fingerprint(mono_wav)
    audio = decode_with_limit(WholeFileDecoder, mono_wav, format="wav", sha256=print_.sha256,
                              size_bytes=print_.size_bytes, seconds=60)
    reference = engine.decode(print_)
    assert audio.samples.shape == reference.samples.shape and audio.file_rate == reference.file_rate
    assert (audio.samples == reference.samples).all()


def test_the_decoded_call_is_let_go_once_the_result_is_assembled(engine, mono_wav, monkeypatch):
    """The runner drops what no later step reads: the samples are gone before metrics and analysis."""
    import gc
    import weakref

    from hearflow.pipeline.runner import compute

    seen = {}
    decode, measure = engine.decode, engine.measure

    def decoding(print_):
        audio = decode(print_)
        seen["audio"] = weakref.ref(audio)
        return audio

    def measuring(result):
        gc.collect()
        seen["alive at measure"] = seen["audio"]() is not None
        return measure(result)

    monkeypatch.setattr(engine, "decode", decoding)
    monkeypatch.setattr(engine, "measure", measuring)
    result = compute(engine, engine.fingerprint(mono_wav), str(mono_wav))
    assert result.segments and result.sample_rate == 22050  # the recording's own rate is what is reported
    assert seen["alive at measure"] is False
