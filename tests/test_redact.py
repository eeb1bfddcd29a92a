"""PII redaction: the pure function on transcripts as recognisers write them, and a spoken call
(espeak-ng + Whisper) analysed with --redact pii whose originals reach no file, store, cache or
language model."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hearflow.errors import ConfigError
from hearflow.models import CallResult, Segment, Word
from hearflow.pipeline.redact import KINDS, luhn_valid, redact_result, redact_segments, resolve_kinds
from hearflow.settings import AnalyzeSettings
from llm_fakes import FakeVendor, chat_completion


def said(text: str, speaker: str = "SPEAKER_2", start: float = 0.0) -> Segment:
    """A segment whose words are 0.3 s long with 0.1 s gaps, as a recogniser would time them."""
    words = [Word(start=round(start + 0.4 * i, 2), end=round(start + 0.4 * i + 0.3, 2), text=token,
                  probability=0.9, speaker=speaker, channel=int(speaker[-1]) - 1)
             for i, token in enumerate(text.split())]
    return Segment(start=start, end=words[-1].end, text=text, speaker=speaker, channel=words[0].channel,
                   words=tuple(words))


def redacted(*texts: str, kinds=("pii",)) -> list[str]:
    return [s.text for s in redact_segments([said(t, start=10.0 * i) for i, t in enumerate(texts)],
                                            resolve_kinds(kinds))]


@pytest.mark.parametrize("text", [
    "My card is 4111 1111 1111 1111.",
    "My card is 4111-1111-1111-1111.",
    "My card is 4111111111111111.",
    "My card is 4-1-1-1 -1-1-1-1 -1-1-1-1 -1-1-1-1.",
    "My card is four one one one, one one one one, one one one one, one one one one.",
    "My card is 5500 0000 0000 0004.",
    "My card is forty-one eleven, eleven eleven, eleven eleven, eleven eleven.",
])
def test_card_numbers_however_written(text):
    assert redacted(text) == ["My card is [CARD]."]


def test_a_card_number_failing_the_check_digit_is_still_a_number():
    assert luhn_valid("4111111111111111") and luhn_valid("5500000000000004")
    assert not luhn_valid("4111111111111112")
    assert redacted("My card is 4111 1111 1111 1112.") == ["My card is [NUMBER]."]


@pytest.mark.parametrize("text, expected", [
    ("Call me on (555) 010-4477 tomorrow", "Call me on [PHONE] tomorrow"),
    ("It's +44 20 7946 0958.", "It's [PHONE]."),
    ("My mobile is five five five, oh one oh, double four seven seven.", "My mobile is [PHONE]."),
    ("my phone number is 555-11-11-11-11. 777.", "my phone number is [PHONE]."),  # a cut-off tail goes too
])
def test_phone_numbers(text, expected):
    assert redacted(text) == [expected]


def test_a_cue_from_the_other_speaker_names_the_number():
    segments = [said("What is your phone number?", "SPEAKER_1"), said("five five five zero one zero four four",
                                                                      "SPEAKER_2", start=3.0)]
    assert [s.text for s in redact_segments(segments, KINDS)] == ["What is your phone number?", "[PHONE]"]


@pytest.mark.parametrize("text, expected", [
    ("write to alex.morgan@example.com please", "write to [EMAIL] please"),
    ("it is alex dot morgan at example dot com.", "it is [EMAIL]."),
    ("It is not Morgan at N Clemple .com.", "It is not [EMAIL]."),  # as tiny.en wrote an espeak-ng address
    ("contact us at support dot example dot com", "contact us at support dot example dot com"),  # a website
    ("see you at five.", "see you at five."),
])
def test_email_addresses(text, expected):
    assert redacted(text) == [expected]


def test_an_address_whose_at_was_lost_after_someone_asked_for_it():
    asked = said("And your email address?", "SPEAKER_1")
    for answer, expected in (("My email is dot at gmail.com", "My email is [EMAIL]"),
                             ("It is john smithandemple.com", "It is [EMAIL]"),
                             ("it could start more than an example .com.", "it could start more than an [EMAIL]."),
                             ("not Morgan again, mental.com", "not Morgan again, [EMAIL]")):
        assert [s.text for s in redact_segments([asked, said(answer, start=3.0)], KINDS)][1] == expected
    assert redacted("visit www.northwind.com today") == ["visit www.northwind.com today"]  # nobody asked


@pytest.mark.parametrize("text, expected", [
    ("my social is 123-45-6789", "my social is [ID]"),
    ("my social security number is one two three four five six seven eight nine", "my social security number is [ID]"),
    ("passport AB1234567 please", "passport [ID] please"),
    ("the account is 7392 8461.", "the account is [NUMBER]."),
])
def test_ids_and_account_numbers(text, expected):
    assert redacted(text) == [expected]


def test_what_calls_are_about_is_kept():
    kept = ["It was forty nine dollars, refunded in five business days.", "Order four five six seven eight.",
            "On 12/04/2024 at 10:30 it cost 49.99 and in 2024 I paid 1,200.", "Oh, one more thing: two for one.",
            "It went from 200 to 300 for 2 weeks."]
    assert redacted(*kept) == kept


def test_only_the_chosen_kinds_are_replaced():
    text = "card 4111 1111 1111 1111, mail alex@example.com"
    assert redacted(text, kinds=["email"]) == ["card 4111 1111 1111 1111, mail [EMAIL]"]
    # a phone number is a number too: with only "number" chosen it is replaced as one
    assert redacted("phone (555) 010-4477", kinds=["number"]) == ["phone [NUMBER]"]


def test_a_span_becomes_one_word_with_its_times():
    segment = said("my card is four one one one one one one one one one one one one one one one thanks",
                   start=2.0)
    [out] = redact_segments([segment], KINDS)
    card = next(w for w in out.words if w.text == "[CARD]")
    assert [w.text for w in out.words] == ["my", "card", "is", "[CARD]", "thanks"]
    assert (card.start, card.end) == (segment.words[3].start, segment.words[18].end)
    assert (card.speaker, card.channel, card.probability) == ("SPEAKER_2", 1, 0.9)
    assert out.text == "my card is [CARD] thanks" and (out.start, out.end) == (segment.start, segment.end)


def test_a_number_split_over_two_segments_is_one_span():
    first, second = said("my number is 4111 1111", start=0.0), said("1111 1111. Thanks.", start=2.0)
    out = redact_segments([first, second], KINDS)
    assert [s.text for s in out] == ["my number is [CARD].", "Thanks."]
    card = out[0].words[-1]
    assert (card.start, card.end) == (first.words[3].start, second.words[1].end)
    assert out[1].start == second.words[2].start  # the second segment now starts at its first kept word
    alone = redact_segments([said("it is 4111 1111"), said("1111 1111", start=2.0)], KINDS)
    assert [s.text for s in alone] == ["it is [CARD]"]  # a segment left without words is gone


def test_a_number_a_diarizer_split_between_speakers_is_one_span():
    # one voice, labelled as three speakers mid-number: no speaker alone has six digits
    segments = [said("My phone number is 5, 5,", "SPEAKER_1"), said("5, 0, 1, 0,", "SPEAKER_2", start=2.4),
                said("4, 4, 7, 7", "SPEAKER_3", start=4.0)]
    out = redact_segments(segments, KINDS)
    assert [(s.speaker, s.text) for s in out] == [("SPEAKER_1", "My phone number is [PHONE]")]
    assert out[0].end == segments[2].words[-1].end


def test_the_other_partys_interjection_does_not_split_a_number():
    segments = [said("my card is 4929 3813", "SPEAKER_2"), said("mm-hm", "SPEAKER_1", start=0.9),
                said("5264 7170", "SPEAKER_2", start=1.6)]
    assert [s.text for s in redact_segments(segments, KINDS)] == ["my card is [CARD]", "mm-hm"]


def test_segments_without_word_times_are_redacted_by_text():
    segment = Segment(start=1.0, end=4.0, text="mail me at alex@example.com or 555 010 4477", speaker="SPEAKER_1")
    [out] = redact_segments([segment], KINDS)
    assert out.text == "mail me at [EMAIL] or [PHONE]" and out.words == ()  # grouped as phones are


def test_redact_result_is_pure_and_notes_what_it_did():
    segments = (said("Your card number?", "SPEAKER_1"), said("4111 1111 1111 1111 and alex@example.com", start=2.0))
    call = CallResult(id="x", source="a.wav", sha256="0" * 64, format="wav", mode="channel", diarized=False,
                      language="en", model="tiny.en", audio_seconds=5.0, channels=2, sample_rate=16000,
                      segments=segments, speaker_timing={"SPEAKER_1": 1.0, "SPEAKER_2": 2.0})
    before = call.model_dump()
    out = redact_result(call, ["pii"])
    assert call.model_dump() == before
    assert out.segments[1].text == "[CARD] and [EMAIL]"
    assert out.notes == ("PII redacted (card, phone, email, id, number): 1 [CARD], 1 [EMAIL]",)
    assert redact_result(call, []) is call


def test_kinds_are_checked_and_expanded():
    assert resolve_kinds(["pii"]) == KINDS == ("card", "phone", "email", "id", "number")
    assert resolve_kinds(["email,card", "card"]) == ("card", "email")
    with pytest.raises(ConfigError) as raised:
        resolve_kinds(["names"])
    assert raised.value.code == "invalid_redact"
    assert AnalyzeSettings(redact="pii").redact == list(KINDS)
    with pytest.raises(ConfigError, match="redact: .*cannot redact 'cards'"):
        AnalyzeSettings.parse({"redact": ["cards"]})


def test_redaction_is_part_of_the_call_identity():
    from hearflow.pipeline.engine import Engine

    plain, redacting = Engine(AnalyzeSettings(analyzer="none")), Engine(AnalyzeSettings(analyzer="none", redact=["pii"]))
    assert "redact" not in plain.transcription_options()  # ids of calls stored without redaction stay
    assert redacting.transcription_options()["redact"] == list(KINDS)
    assert plain.call_id("ab" * 32) != redacting.call_id("ab" * 32)


# -- a spoken call, end to end ----------------------------------------------------------------

PII_CALL = (
    ("SPEAKER_2", "Northwind billing. Your card number and phone number, please?"),
    # not 4111 1111…: a repetitive run makes Whisper fall back to sampling, and vary from run to run
    ("SPEAKER_1", "The card number is four nine two nine, three eight one three, five two six four, seven one seven zero. "
                  "My phone number is five five five, zero one zero, four four seven seven."),
    ("SPEAKER_2", "And your email address?"),
    ("SPEAKER_1", "My email is john at gmail dot com."),
)
ANALYSIS = {
    "sentiment": "neutral", "intent": "payment details", "resolution": "resolved", "agent_performance": "good",
    "escalation_risk": "low", "key_topics": ["payment"], "action_items": [], "compliance": "compliant",
    "compliance_notes": [], "satisfaction_score": 4, "summary": "The customer gave payment details.",
}


@pytest.fixture(scope="module")
def pii_wav(tmp_path_factory) -> Path:
    from hearflow.media.synth import build_call, write_call

    path = tmp_path_factory.mktemp("pii") / "pii-call.wav"
    write_call(build_call(PII_CALL), path, stereo=True)
    return path


@pytest.fixture(scope="module")
def originals(pii_wav) -> list[str]:
    """What the recogniser wrote for each span redaction replaces, from a run that keeps it in
    memory only: the strings no file may contain after a redacting run."""
    from hearflow.pipeline.engine import Engine

    plain = Engine(AnalyzeSettings(analyzer="none")).run(pii_wav)
    out = redact_result(plain, ["pii"])
    placeholders = [w for w in out.words if w.text.startswith("[")]
    # the card's digits are a [CARD] when heard right (they pass the Luhn check), else a long [NUMBER]:
    # tiny.en has written "four nine two nine" as "4.529" on one CPU; either way the span is replaced
    kinds = sorted(w.text.strip(".,") for w in placeholders)
    assert kinds in (["[CARD]", "[EMAIL]", "[PHONE]"], ["[EMAIL]", "[NUMBER]", "[PHONE]"]), out.transcript
    spans = []
    for placeholder in placeholders:
        words = [w.text for w in plain.words
                 if w.speaker == placeholder.speaker and placeholder.start <= w.start and w.end <= placeholder.end]
        spans.append(" ".join(words))
    strings = spans + [re.sub(r"\D", "", span) for span in spans if len(re.sub(r"\D", "", span)) >= 6]
    # Each span whole, as a transcript would hold it; not its single words: "gmail.com" alone is in
    # Prefect's own database (its e-mail block's documentation).
    # the recogniser did hear the numbers (as digits or digit words: the decoding writes either)
    # and the address (else this test would prove nothing)
    from hearflow.pipeline.redact import UNITS

    def heard_digits(span: str) -> int:
        return len(re.sub(r"\D", "", span)) + sum(word.strip(".,").lower() in UNITS for word in span.split())

    assert sum(heard_digits(span) >= 6 for span in spans) >= 2 and ".com" in plain.text.lower(), plain.transcript
    return sorted(set(strings), key=len, reverse=True)


def leaks(data: bytes, strings: list[str]) -> list[str]:
    text = data.decode("latin-1").lower()
    return [s for s in strings if s.lower() in text]


@pytest.fixture(scope="module")
def redacted_run(pii_wav, tmp_path_factory):
    """`hearflow analyze --redact pii` with every format and a language-model analyzer on a local
    fake vendor: (completed process, out dir, db path, requests the vendor received)."""
    from conftest import run_cli

    work = tmp_path_factory.mktemp("redacted-run")
    vendor = FakeVendor().start()
    vendor.script(chat_completion(json.dumps(ANALYSIS)))
    try:
        done = run_cli("analyze", pii_wav, "--redact", "pii", "--redact-audio", "--analyzer", "openai-compatible",
                       *[arg for name in ("json", "srt", "vtt", "txt", "rttm", "html") for arg in ("-f", name)],
                       "-o", work / "out", "--db", work / "h.db", "--json",
                       env={"HEARFLOW_OPENAI_API_KEY": "sk-test-not-real", "HEARFLOW_OPENAI_BASE_URL": vendor.url + "/v1",
                            "HEARFLOW_OPENAI_MODEL": "fake-model"})
    finally:
        vendor.stop()
    assert done.returncode == 0, done.stderr
    return done, work / "out", work / "h.db", vendor.requests


def test_no_output_format_holds_an_original(redacted_run, originals):
    done, out, _, _ = redacted_run
    files = sorted(out.iterdir())
    assert {f.suffix for f in files} == {".json", ".srt", ".vtt", ".txt", ".rttm", ".html", ".wav"}
    for path in files:
        assert leaks(path.read_bytes(), originals) == [], path.name
    assert leaks(done.stdout.encode() + done.stderr.encode(), originals) == []
    text = (out / "pii-call.txt").read_text()
    assert "[PHONE]" in text and "[EMAIL]" in text, text


def test_the_store_file_holds_no_original(redacted_run, originals):
    _, _, db, _ = redacted_run
    stored = [p for p in db.parent.iterdir() if p.name.startswith("h.db")]
    assert stored and all(leaks(p.read_bytes(), originals) == [] for p in stored)
    from hearflow.store.store import Store

    store = Store(db)
    try:
        [row] = list(store.db["calls"].rows)
        call = store.get(row["id"])
    finally:
        store.close()
    assert any(w.text.startswith("[EMAIL]") for w in call.words) and "PII redacted" in call.notes[-1]


def test_no_cache_or_home_holds_an_original(redacted_run, originals):
    for home in (os.environ["PREFECT_HOME"], os.environ["HEARFLOW_HOME"]):
        for path in Path(home).rglob("*"):
            if path.is_file() and not path.name.endswith((".log", ".db-shm")):
                assert leaks(path.read_bytes(), originals) == [], path


def test_the_analyzer_reads_only_the_redacted_text(redacted_run, originals):
    done, _, _, requests = redacted_run
    sent = json.dumps([r.body for r in requests])
    assert requests and leaks(sent.encode(), originals) == []
    assert "[PHONE]" in sent and "[EMAIL]" in sent
    result = json.loads(done.stdout)
    assert result["summary"] == ANALYSIS["summary"]


def test_each_span_is_one_word_with_the_spans_times(redacted_run, pii_wav):
    done, _, _, _ = redacted_run
    result = json.loads(done.stdout)
    # nothing the detectors missed either: no long digit run, no address left in the words
    assert not re.search(r"(?:\d[\s,.\-]*){6}", result["text"]) and not re.search(r"@|\.com", result["text"]), \
        result["text"]
    words = [w for s in result["segments"] for w in s["words"]]
    placeholders = [w for w in words if w["text"].startswith("[")]
    assert len(placeholders) >= 3
    for segment in result["segments"]:
        assert segment["text"] == " ".join(w["text"] for w in segment["words"])
    for a, b in zip(words, words[1:]):
        if a["speaker"] == b["speaker"]:
            assert a["end"] <= b["start"] + 1e-6  # no word of the span is left beside its placeholder


def test_the_redacted_audio_copy_is_silent_where_the_transcript_was_redacted(redacted_run, pii_wav):
    import numpy as np
    import soundfile

    done, out, _, _ = redacted_run
    result = json.loads(done.stdout)
    spans = [(w["start"], w["end"]) for s in result["segments"] for w in s["words"] if w["text"].startswith("[")]
    original, rate = soundfile.read(str(pii_wav), dtype="float32", always_2d=True)
    copy, copy_rate = soundfile.read(str(out / "pii-call.redacted.wav"), dtype="float32", always_2d=True)
    assert copy.shape == original.shape and copy_rate == rate
    spoken = 0.0
    for start, end in spans:
        inside = slice(int(start * rate), int(end * rate))
        assert np.abs(copy[inside]).max() == 0.0  # every channel
        spoken += float(np.abs(original[inside]).sum())
    assert spoken > 0  # the spans did hold speech in the original
    kept = np.ones(len(original), bool)
    for start, end in spans:
        kept[max(0, int((start - 0.35) * rate)): int((end + 0.35) * rate)] = False
    assert np.abs(copy[kept] - original[kept]).max() < 1e-3  # the rest is the recording as it was


def test_silenced_spans_are_zero_on_every_channel():
    import numpy as np

    from hearflow.media.silence import silenced

    samples = np.ones((2, 1000), np.float32)
    out = silenced(samples, 100, [(2.0, 3.0)], margin=0.1)
    assert out[:, 190:310].max() == 0.0 and out[:, :190].min() == 1.0 and out[:, 310:].min() == 1.0
    assert samples.min() == 1.0  # the input is left as it was


def test_redact_audio_needs_redaction(cli, pii_wav, tmp_path):
    done = cli("analyze", pii_wav, "--redact-audio", "--db", tmp_path / "h.db")
    assert done.returncode == 1 and "error[invalid_options]: --redact-audio needs --redact" in done.stderr


def test_archive_redacts_too(cli, tmp_path):
    from hearflow.media.synth import build_call, write_call
    from hearflow.store.store import Store

    calls = tmp_path / "calls"
    calls.mkdir()
    write_call(build_call((("SPEAKER_1", "My phone number is five five five, zero one zero, four four seven seven."),)),
               calls / "short.wav", stereo=False)
    done = cli("archive", calls, "--redact", "phone,card", "--runner", "inprocess", "--analyzer", "none",
               "--db", tmp_path / "h.db", "--json")
    assert done.returncode == 0, done.stderr
    store = Store(tmp_path / "h.db")
    try:
        [row] = list(store.db["calls"].rows)
        call = store.get(row["id"])
    finally:
        store.close()
    assert "[PHONE]" in call.text and not re.search(r"\d{3}", call.text), call.text
    assert call.options["redact"] == ["card", "phone"]
    refused = cli("archive", calls, "--redact", "names", "--db", tmp_path / "h.db")
    assert refused.returncode == 1 and "cannot redact 'names'" in refused.stderr
