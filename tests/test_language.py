"""Language tags, scripts, detection and the multilingual model on real (espeak-ng) speech."""

import json

import numpy as np
import pytest
import soundfile

from hearflow.errors import ConfigError
from hearflow_whisper import WhisperAsr, whisper_language
from hearflow_whisper.detection import first_speech
from hearflow_whisper.embedded import embedded_path
from hearflow_whisper.languages import script_of, script_prompt
from hearflow_whisper.loading import load_model, start_loading
from media import spoken

# Whisper base names this sentence (espeak-ng, Hindi voice, 140 words a minute) as Hindi; on
# most other espeak-ng Hindi sentences it guesses Thai, English or Latin (see README).
HINDI = "भारत एक विशाल देश है।"
HINDI_CALL = ("नमस्ते, मेरा नाम राहुल है। मैं आपकी कैसे मदद कर सकता हूँ? मेरा ऑर्डर अभी तक नहीं आया है। "
              "कृपया मुझे मेरा ऑर्डर नंबर बताइए। धन्यवाद, आपका दिन शुभ हो।")


def devanagari_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\u0900" <= c <= "\u097f" for c in letters) / max(len(letters), 1)


@pytest.mark.parametrize("tag, code", [("hi-IN", "hi"), ("en_US", "en"), ("pt-BR", "pt"), ("zh-Hant-TW", "zh"),
                                       ("EN", "en"), (None, None), ("auto", None), ("unknown", None)])
def test_bcp47_to_whisper(tag, code):
    assert whisper_language(tag) == code


def test_unknown_language_is_an_error():
    with pytest.raises(ConfigError) as caught:
        whisper_language("klingon")
    assert caught.value.code == "unsupported_language"


@pytest.mark.parametrize("tag, language, script", [
    ("hi-IN", "hi", "Deva"), ("ur-PK", "ur", "Arab"), ("hi-Latn", "hi", "Latn"), ("zh-TW", "zh", "Hant"),
    ("zh-Hans-CN", "zh", "Hans"), ("sr-Latn-RS", "sr", "Latn"), ("pa-PK", "pa", "Arab"), (None, "hi", "Deva"),
    ("en-US", "en", None)])
def test_script_follows_the_tag(tag, language, script):
    assert script_of(tag, language) == script


def test_script_prompts_are_in_their_script():
    assert devanagari_share(script_prompt("hi-IN", "hi")) == 1.0
    urdu = script_prompt("ur-PK", "ur")
    assert urdu and all("\u0600" <= c <= "\u06ff" for c in urdu if c.isalpha())
    assert script_prompt("en-US", "en") is None and script_prompt("hi-Latn", "hi") is None


def test_hindi_call_with_hi_in_comes_out_in_devanagari(cli, tmp_path):
    samples, rate = spoken(HINDI_CALL, "hi")
    path = tmp_path / "hindi.wav"
    soundfile.write(path, samples, rate)
    done = cli("analyze", path, "--language", "hi-IN", "--diarizer", "none", "--json", "-q",
               "--db", tmp_path / "h.db")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    text = " ".join(segment["text"] for segment in result["segments"])
    assert len(text.split()) >= 10, text
    assert devanagari_share(text) > 0.95, text
    prompt_words = set(script_prompt("hi-IN", "hi").replace(",", " ").replace("।", " ").split())
    assert len(set(text.replace(",", " ").replace("।", " ").split()) - prompt_words) >= 5, text  # not the prompt echoed


def test_the_same_hindi_call_gives_the_same_transcript_every_time():
    # beam search only: no sampled fallback whose draw depends on what the process decoded before
    samples, rate = spoken(HINDI_CALL, "hi")
    asr = WhisperAsr({"language": "hi-IN"})
    first, second = (asr.transcribe(samples, rate) for _ in range(2))
    assert first.segments == second.segments
    text = " ".join(segment.text for segment in first.segments)
    assert len(text.split()) >= 10 and devanagari_share(text) > 0.95, text


def test_hindi_is_detected_without_a_hint_and_written_in_devanagari():
    samples, rate = spoken(HINDI, "hi", speed=140)
    transcript = WhisperAsr().transcribe(samples, rate)
    assert transcript.language == "hi"
    assert transcript.model == "base (embedded)"
    text = " ".join(segment.text for segment in transcript.segments)
    assert text and devanagari_share(text) > 0.95, text


def test_english_is_detected_and_transcribed_by_tiny_en(call):
    transcript = WhisperAsr().transcribe(call.stereo[0], call.rate)
    assert transcript.language == "en" and transcript.model == "tiny.en (embedded)"
    assert "Northwind" in " ".join(segment.text for segment in transcript.segments)


def test_an_english_telephone_call_is_detected_as_english(call, tmp_path):
    # 8 kHz mu-law, the band and companding of a phone line: detection must still name English
    from hearflow import resample

    path = tmp_path / "phone.wav"
    soundfile.write(path, resample(call.mono, call.rate, 8000), 8000, subtype="ULAW")
    samples, rate = soundfile.read(path, dtype="float32")
    asr = WhisperAsr()
    language, probability = asr.detect(asr.pieces(samples, rate))
    assert language == "en" and probability > 0.5, (language, probability)


def test_english_only_model_refuses_hindi():
    with pytest.raises(ConfigError) as caught:
        WhisperAsr({"model": "tiny.en", "language": "hi-IN"}).prepare()
    assert caught.value.code == "language_not_supported"


def test_a_call_without_speech_detects_nothing():
    transcript = WhisperAsr().transcribe(np.zeros(16000 * 5, dtype=np.float32), 16000)
    assert transcript.segments == () and transcript.language is None


def test_detection_hears_the_first_speech_after_a_long_silence(call):
    from hearflow import resample

    speech = resample(call.mono, call.rate, 16000)
    audio = np.concatenate([np.zeros(16000 * 90, dtype=np.float32), speech])
    heard = first_speech([(0.0, audio)], 16000, vad=True)
    assert 20 * 16000 <= len(heard) <= 30 * 16000  # speech only, one window's worth
    language, probability = WhisperAsr().detect([(0.0, audio)])
    assert language == "en" and probability > 0.5


def test_a_model_asked_for_while_it_loads_is_loaded_once():
    path = str(embedded_path("tiny.en"))
    key = (path, "cpu", "int8", 1, False, 1)
    loads = [start_loading(*key) for _ in range(3)]
    assert loads[0] is loads[1] is loads[2]
    assert load_model(*key) is loads[0].result() and load_model(*key).model.is_multilingual is False


def test_a_failed_load_is_reported_and_tried_again(tmp_path):
    key = (str(tmp_path), "cpu", "int8", 1, False, 1)  # a directory without a model
    first = start_loading(*key)
    with pytest.raises(ConfigError) as caught:
        first.result()
    assert caught.value.code == "model_unavailable"
    assert start_loading(*key) is not first


def test_a_stereo_call_is_language_detected_once_for_both_channels(stereo_wav):
    from hearflow.pipeline.engine import Engine

    engine = Engine()
    calls = []
    detect = engine.asr.detect
    engine.asr.detect = lambda pieces: calls.append(1) or detect(pieces)  # counts, then detects for real
    result = engine.run(stereo_wav)
    assert result.mode == "channel" and result.language == "en" and result.model == "tiny.en (embedded)"
    assert len(calls) == 1
    assert {segment.speaker for segment in result.segments} == {"SPEAKER_1", "SPEAKER_2"}
