"""Every text output parses in an independent parser."""

from __future__ import annotations

import json

import pytest
import srt
import webvtt
from pyannote.database.util import load_rttm

from hearflow.pipeline.engine import Engine
from hearflow.output.files import write_outputs


@pytest.fixture(scope="module")
def outputs(converted, tmp_path_factory):
    engine = Engine()
    result = engine.run(converted["mp3", "stereo"])
    out = tmp_path_factory.mktemp("out")
    paths = write_outputs(engine.registry, result, ["json", "srt", "vtt", "txt", "rttm"], out)
    return result, {p.suffix[1:]: p for p in paths}


def test_srt_parses(outputs):
    result, paths = outputs
    cues = list(srt.parse(paths["srt"].read_text()))
    assert len(cues) == len(result.segments)
    assert cues[0].content.startswith("SPEAKER_1: ")
    assert all(c.end > c.start for c in cues)


def test_vtt_parses(outputs):
    result, paths = outputs
    captions = webvtt.read(str(paths["vtt"]))
    assert len(captions) == len(result.segments)
    assert {c.voice for c in captions} == {"SPEAKER_1", "SPEAKER_2"}


def test_rttm_parses(outputs):
    result, paths = outputs
    annotations = load_rttm(str(paths["rttm"]))
    (annotation,) = annotations.values()
    assert set(annotation.labels()) == {"SPEAKER_1", "SPEAKER_2"}
    assert len(list(annotation.itertracks())) == len(result.segments)


def test_json_has_the_reference_shape(outputs):
    result, paths = outputs
    data = json.loads(paths["json"].read_text())
    for key in ("transcript", "speaker_timing", "analysis", "summary", "generated_at", "text", "speakers",
                "audio_seconds", "segments"):
        assert key in data
    assert data["speakers"] == 2
    assert data["transcript"].startswith("SPEAKER_1: ")
    assert data["segments"][0]["words"][0]["speaker"] == "SPEAKER_1"
    assert data["generated_at"].endswith("Z")


def test_txt_is_rendered_from_the_template(outputs):
    result, paths = outputs
    text = paths["txt"].read_text()
    assert f"Call {result.id}" in text and "Speaker timing:" in text and "] SPEAKER_2: " in text
