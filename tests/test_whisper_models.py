"""The embedded models: the multilingual base joined from its wheels and checked, one load per
process, where the model runs, and what belongs to a call's identity."""

from __future__ import annotations

import hashlib

import pytest

from hearflow.errors import ConfigError
from hearflow.pipeline.engine import Engine
from hearflow.settings import AnalyzeSettings
from hearflow_whisper import WhisperAsr
from hearflow_whisper.embedded import BASE, BASE_SHA256, TINY_EN, base_cache_dir, embedded_path, join_parts
from hearflow_whisper.loading import cuda_devices, resolve_device


def _parts(tmp_path):
    parts = [tmp_path / "model.bin.part1", tmp_path / "model.bin.part2"]
    parts[0].write_bytes(b"first half|")
    parts[1].write_bytes(b"second half")
    return parts


def test_parts_are_joined_when_the_checksum_matches(tmp_path):
    parts = _parts(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    expected = hashlib.sha256(b"first half|second half").hexdigest()
    target = join_parts(parts, tmp_path / "cache" / "model", expected, extras=[tmp_path / "config.json"])
    assert (target / "model.bin").read_bytes() == b"first half|second half"
    assert (target / "config.json").read_text() == "{}"


def test_a_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path):
    parts = _parts(tmp_path)
    with pytest.raises(ConfigError) as caught:
        join_parts(parts, tmp_path / "cache" / "model", "0" * 64)
    assert caught.value.code == "model_checksum_mismatch"
    assert "expected " + "0" * 64 in caught.value.message
    assert list((tmp_path / "cache").iterdir()) == []  # no model, no staging folder


def test_embedded_base_is_joined_once_with_the_pinned_checksum():
    path = embedded_path(BASE)
    assert path == base_cache_dir()
    model = path / "model.bin"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert digest == BASE_SHA256
    stamp = model.stat().st_mtime_ns
    assert embedded_path(BASE) == path and model.stat().st_mtime_ns == stamp  # not joined again
    assert {p.name for p in path.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}


def test_a_model_is_loaded_once_per_process_and_shared_across_calls():
    first = WhisperAsr({"model": TINY_EN, "beam_size": 3}).load(TINY_EN)
    second = WhisperAsr({"model": TINY_EN, "language": "en", "vocabulary": "Brevilo"}).load(TINY_EN)
    assert first is second


def test_auto_device_follows_what_ctranslate2_sees():
    gpus = cuda_devices()
    assert resolve_device("auto", "auto") == (("cuda", "float16") if gpus else ("cpu", "int8"))
    assert resolve_device("cpu", "auto") == ("cpu", "int8")
    assert resolve_device("cpu", "float32") == ("cpu", "float32")
    if gpus:
        assert resolve_device("cuda", "auto") == ("cuda", "float16")
    else:
        with pytest.raises(ConfigError) as caught:
            resolve_device("cuda", "auto")
        assert caught.value.code == "cuda_unavailable"


def test_device_and_batch_size_are_not_part_of_the_call_identity_vocabulary_is():
    def call_id(**asr_options):
        return Engine(AnalyzeSettings(asr_options=asr_options, diarizer="none")).call_id("ab" * 32)

    plain = call_id()
    assert call_id(device="cpu", batch_size=8, cpu_threads=2) == plain
    assert call_id(vocabulary="Brevilo, Tarqueen") != plain
    assert call_id(vocabulary=["Brevilo", "Tarqueen"]) == call_id(vocabulary="Brevilo,Tarqueen")
    options = Engine(AnalyzeSettings(asr_options={"device": "cpu"}, diarizer="none")).transcription_options()
    assert "device" not in options["asr"] and options["asr"]["vocabulary"] == []
