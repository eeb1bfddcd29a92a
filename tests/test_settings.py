"""Settings from a config file: the top-level keys users write, checked and mapped."""

from __future__ import annotations

import pytest

from hearflow.errors import ConfigError
from hearflow.pipeline.engine import Engine
from hearflow.settings import AnalyzeSettings


def test_vocabulary_in_a_config_file_reaches_the_recogniser_and_the_call_id(tmp_path):
    config = tmp_path / "hearflow.toml"
    config.write_text('vocabulary = ["Brevilo", "Tarqueen"]\n')
    settings = AnalyzeSettings.from_file(config)
    engine = Engine(settings)
    assert engine.asr.options.vocabulary == ("Brevilo", "Tarqueen")
    assert engine.call_id("0" * 64) != Engine(AnalyzeSettings()).call_id("0" * 64)


def test_an_unknown_top_level_key_is_an_error(tmp_path):
    config = tmp_path / "hearflow.toml"
    config.write_text('vocabulry = ["Brevilo"]\n')
    with pytest.raises(ConfigError) as caught:
        AnalyzeSettings.from_file(config)
    assert caught.value.code == "invalid_config" and "vocabulry" in caught.value.message


def test_the_diarizer_follows_the_device_and_it_is_not_part_of_the_identity():
    on_cuda = Engine(AnalyzeSettings(diarizer_options={"device": "cuda"}))
    with pytest.raises(ConfigError) as caught:
        on_cuda.diarizer.prepare()  # this machine has no GPU: refused before any audio work
    assert caught.value.code == "cuda_unavailable" and "ONNX Runtime" in caught.value.message
    on_cpu = Engine(AnalyzeSettings(diarizer_options={"device": "cpu"}))
    assert on_cpu.call_id("0" * 64) == on_cuda.call_id("0" * 64) == Engine(AnalyzeSettings()).call_id("0" * 64)
    # a separator without a model takes the flag and ignores it
    assert Engine(AnalyzeSettings(diarizer="none", diarizer_options={"device": "cuda"})).diarizer.name == "none"
