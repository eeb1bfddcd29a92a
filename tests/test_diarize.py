"""The embedded diarizer on real audio with its real models: a recorded telephone call and
synthetic calls whose turns are known to the millisecond."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import soundfile

from diarize_fixtures import SCRIPTS, der, rttm_turns, synthetic_calls, words_on_right_speaker
from hearflow.errors import ConfigError
from hearflow.media.synth import write_call
from media import pyannote_sample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calls():
    return synthetic_calls()


@pytest.fixture(scope="module")
def registry():
    from hearflow.plugins.manager import build_registry
    from hearflow_diarize import EmbeddedDiarizer

    registry = build_registry()
    if "embedded" not in registry.names("separator"):  # until the entry point is installed
        registry.register(EmbeddedDiarizer, "diarize")
    return registry


def diarizer(**options):
    from hearflow_diarize import EmbeddedDiarizer

    return EmbeddedDiarizer(options)


def speakers(turns) -> set[str]:
    return {turn.speaker for turn in turns}


def test_recorded_call_two_speakers(tmp_path):
    sample = pyannote_sample(tmp_path)
    samples, rate = soundfile.read(sample["sample.wav"], dtype="float32")
    turns = diarizer().diarize(samples, rate)
    assert speakers(turns) == {"SPEAKER_1", "SPEAKER_2"}
    assert der(rttm_turns(sample["sample.rttm"]), turns) <= 0.15


@pytest.mark.parametrize("name", SCRIPTS)
def test_synthetic_calls(calls, name):
    call = calls[name]
    turns = diarizer().diarize(call.mono, call.rate)
    assert len(speakers(turns)) == len(speakers(call.turns))
    assert der(call.turns, turns) <= 0.10
    assert turns[0].speaker == "SPEAKER_1"  # named in order of first speech


def test_backchannels_get_their_own_turns(calls):
    call = calls["backchannel"]
    turns = diarizer().diarize(call.mono, call.rate)
    short = [t for t in call.turns if t.end - t.start < 0.8]
    assert len(short) == 3
    for reference in short:
        middle = (reference.start + reference.end) / 2
        (found,) = [t for t in turns if t.start <= middle <= t.end]
        assert found.speaker != turns[0].speaker


@pytest.mark.parametrize("name, forced", [("support", 3), ("three_party", 2)])
def test_speaker_count_hint_is_obeyed(calls, name, forced):
    call = calls[name]
    assert len(speakers(diarizer(num_speakers=forced).diarize(call.mono, call.rate))) == forced


@pytest.mark.parametrize("options", [
    {"min_speakers": 3, "max_speakers": 2},
    {"num_speakers": 4, "max_speakers": 3},
    {"num_speakers": 0},
    {"hop": 2.0, "window": 1.0},
    {"speakers": 2},
])
def test_incoherent_options_are_config_errors(options):
    with pytest.raises(ConfigError) as caught:
        diarizer(**options)
    assert caught.value.code == "invalid_options"


def test_silence_has_no_turns():
    assert diarizer().diarize(np.zeros(16_000 * 3, dtype=np.float32), 16_000) == []


@pytest.mark.parametrize("name", ["support", "backchannel"])
def test_words_land_on_the_right_speaker(calls, registry, tmp_path, name):
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    call = calls[name]
    path = tmp_path / f"{name}.wav"
    write_call(call, path, stereo=False)
    result = Engine(AnalyzeSettings(diarizer="embedded", analyzer="none"), registry=registry).run(path)
    assert result.diarized
    assert words_on_right_speaker(result, list(call.turns)) >= 0.95


def test_telephone_mulaw_8k(calls, registry, tmp_path):
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    call = calls["support"]
    source, target = tmp_path / "call.wav", tmp_path / "call-ulaw.wav"
    write_call(call, source, stereo=False)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-ar", "8000",
                    "-c:a", "pcm_mulaw", str(target)], check=True)
    engine = Engine(AnalyzeSettings(diarizer="embedded", analyzer="none"), registry=registry)
    audio = engine.decode(engine.fingerprint(target))
    assert audio.file_rate == 8000 and audio.sample_rate == 16000  # decoded at the stages' rate
    separation = engine.separate(engine.split(audio))
    assert separation.diarized and separation.mode == "mono"
    assert der(call.turns, separation.turns) <= 0.10


def test_eval_scores_a_diarized_call_against_the_references(cli, tmp_path):
    """`hearflow analyze --diarizer embedded` on the recorded two-speaker sample, then
    `hearflow eval` with its reference RTTM and STM."""
    sample = pyannote_sample(tmp_path)
    db = tmp_path / "h.db"
    analysed = cli("analyze", sample["sample.wav"], "--diarizer", "embedded", "--analyzer", "none", "--json", "-q",
                   "--db", db)
    assert analysed.returncode == 0, analysed.stderr
    call_id = json.loads(analysed.stdout)["id"]
    done = cli("eval", call_id, "--rttm", sample["sample.rttm"], "--text", sample["sample.stm"], "--json",
               "--db", db)
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    assert scores["speakers"] == 2 and scores["collar"] == 0.25
    assert scores["der"] <= 0.20  # word-bounded segments, so a little above the diarizer's own turns
    assert scores["wer"] <= 0.20


def test_onnx_and_torch_encoders_agree(call):
    """The exported encoder is a speed-up, not a different model: both give the same voices."""
    from hearflow.media.audio import resample
    from hearflow.media.vad import speech_regions
    from hearflow_diarize.embeddings import (_onnx_encoder, _torch_embeddings, _window_frames, mel_frames,
                                             window_embeddings)
    from hearflow_diarize.windows import sliding_windows

    speech = resample(call.mono, call.rate, 16000)
    windows = [(w.start, w.end) for w in sliding_windows(speech_regions(speech), 1.5, 0.75)]
    mels = mel_frames(speech)
    assert _onnx_encoder() is not None  # the export worked and is the path taken
    exported = window_embeddings(mels, windows)
    reference = _torch_embeddings([_window_frames(mels, start, end) for start, end in windows])
    assert len(windows) > 10 and exported.shape == reference.shape
    assert np.min(np.sum(exported * reference, axis=1)) > 0.9999


def test_encoder_falls_back_to_torch_when_the_export_fails(monkeypatch, tmp_path, call):
    import hearflow_diarize.embeddings as embeddings

    def broken_export(path):
        raise RuntimeError("no exporter in this torch")

    monkeypatch.setenv("HEARFLOW_HOME", str(tmp_path))
    monkeypatch.setattr(embeddings, "_export_encoder", broken_export)
    embeddings._onnx_encoder.cache_clear()
    try:
        with pytest.warns(UserWarning, match="runs on torch.*no exporter"):
            assert embeddings._onnx_encoder() is None
        mels = embeddings.mel_frames(call.mono[: call.rate * 3])
        assert embeddings.window_embeddings(mels, [(0.0, 1.5), (0.5, 2.0)]).shape == (2, 256)
    finally:
        embeddings._onnx_encoder.cache_clear()
