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


def test_ulaw_telephony_keeps_8khz(engine, converted):
    audio = engine.decode(engine.fingerprint(converted["ulaw", "stereo"]))
    assert (audio.sample_rate, audio.channels, audio.format) == (8000, 2, "wav")


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
