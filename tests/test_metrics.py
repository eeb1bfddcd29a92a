"""Metrics against hand-computed values, on scripted segments and on a real transcription."""

from __future__ import annotations

import pytest

from hearflow.pipeline.engine import Engine
from hearflow.models import CallResult, ConversationMetrics, Segment, Word
from hearflow_metrics.conversation import ConversationMetric
from hearflow_metrics.trackers import TrackerMetric


def _segment(start, end, speaker, text, channel=None):
    parts = text.split()
    step = (end - start) / len(parts)
    words = tuple(Word(start=round(start + i * step, 3), end=round(start + (i + 1) * step, 3), text=w,
                       speaker=speaker, channel=channel) for i, w in enumerate(parts))
    return Segment(start=start, end=end, text=text, speaker=speaker, channel=channel, words=words)


def _call(segments, seconds):
    return CallResult(id="x" * 16, source="scripted.wav", sha256="0" * 64, format="wav", mode="channel",
                      diarized=True, language="en", model=None, audio_seconds=seconds, channels=2,
                      sample_rate=8000, segments=tuple(segments), speaker_timing={})


# A 60 s call, written out so every figure below can be checked by hand.
SCRIPTED = [
    _segment(1.0, 5.0, "SPEAKER_1", "Thanks for calling, how can I help? What is your name?", 0),
    _segment(6.0, 10.0, "SPEAKER_2", "I want a better price for my plan", 1),
    _segment(9.5, 12.0, "SPEAKER_1", "Sure, let me check the pricing", 0),       # starts 0.5 s early
    _segment(12.0, 20.0, "SPEAKER_1", "We can offer a discount of ten percent", 0),
    _segment(22.0, 30.0, "SPEAKER_2", "That is still too expensive, I might cancel", 1),
    _segment(31.0, 40.0, "SPEAKER_1", "I understand. Would twenty percent work?", 0),
    _segment(41.0, 44.0, "SPEAKER_2", "Yes, that works", 1),
    _segment(54.0, 58.0, "SPEAKER_2", "What about the price after one year?", 1),
]


def test_conversation_metrics_match_hand_computation():
    metrics = ConversationMetric().measure(_call(SCRIPTED, 60.0))
    agent, customer = metrics.speakers["SPEAKER_1"], metrics.speakers["SPEAKER_2"]
    # talk: agent 4 + 2.5 + 8 + 9 = 23.5 s; customer 4 + 8 + 3 + 4 = 19 s; total 42.5 s
    assert agent.talk_time == pytest.approx(23.5, abs=0.2)
    assert customer.talk_time == pytest.approx(19.0, abs=0.2)
    assert agent.talk_ratio == pytest.approx(23.5 / 42.5, abs=1e-3)
    assert (agent.words, customer.words) == (11 + 6 + 8 + 6, 8 + 8 + 3 + 7)
    assert agent.words_per_minute == pytest.approx(31 / (23.5 / 60), abs=0.1)
    # agent runs: 1–5, 9.5–20 (two segments), 31–40 → 10.5 s; the customer's 41–44 and 54–58 follow
    # each other but a 10 s pause splits them, so the longest is 22–30 = 8 s
    assert agent.longest_monologue == pytest.approx(10.5, abs=0.01)
    assert customer.longest_monologue == pytest.approx(8.0, abs=0.01)
    assert (agent.questions, customer.questions) == (3, 1)
    assert metrics.switches == 5
    assert metrics.interactivity == pytest.approx(5.0, abs=0.01)  # 5 switches in 1 minute
    # agent answers the customer three times: pauses max(0, 9.5-10) = 0, 31-30 = 1 → mean over 2 = 0.5
    assert metrics.patience == pytest.approx(0.5, abs=1e-3)
    # speech union: 4 + (6..20 = 14) + 8 + 9 + 3 + 4 = 42 s → silence 18/60
    assert metrics.silence_share == pytest.approx(0.3, abs=1e-3)
    assert metrics.overlaps == 1
    assert (metrics.agent, metrics.agent_rule) == ("SPEAKER_1", "first speaker")


@pytest.mark.parametrize("rule, expected", [("first", "SPEAKER_1"), ("guess", "SPEAKER_1"),
                                            ("channel", "SPEAKER_2"), ("SPEAKER_2", "SPEAKER_2")])
def test_agent_rules(rule, expected):
    metric = ConversationMetric({"agent": rule, "agent_channel": 1})
    assert metric.measure(_call(SCRIPTED, 60.0)).agent == expected


def test_trackers_hits_times_speakers_and_bins():
    report = TrackerMetric({"trackers": {"pricing": ["price", "pricing", "discount"],
                                          "objections": ["too expensive", "cancel"]}, "bins": 6}
                           ).measure(_call(SCRIPTED, 60.0))
    assert report.counts == {"pricing": 4, "objections": 2}
    assert [(h.phrase, h.speaker) for h in report.hits if h.tracker == "pricing"] == [
        ("price", "SPEAKER_2"), ("pricing", "SPEAKER_1"), ("discount", "SPEAKER_1"), ("price", "SPEAKER_2")]
    # 10 s bins: price@~8 s → bin 0, pricing@~11 s → 1, discount@~16 s → 1, price@~56 s → 5
    assert report.bins["pricing"] == [1, 2, 0, 0, 0, 1]
    expensive = next(h for h in report.hits if h.phrase == "too expensive")
    assert 22.0 < expensive.start < expensive.end < 30.0


def test_metrics_on_a_real_stereo_transcription(stereo_wav, call):
    result = Engine().run(stereo_wav)
    conversation = result.report("conversation", ConversationMetrics)
    assert conversation.switches == len(call.turns) - 1
    asked = {"SPEAKER_1": 0, "SPEAKER_2": 0}
    for who, text in call.script:
        asked[who] += text.count("?")
    assert {s: v.questions for s, v in conversation.speakers.items()} == asked
    for speaker, stats in conversation.speakers.items():
        truth = sum(t.end - t.start for t in call.turns if t.speaker == speaker)
        # Word timestamps of the small model are within about half a second per turn edge.
        assert stats.talk_time == pytest.approx(truth, abs=1.0)
    assert result.analysis.heuristic and result.analysis.analysis.resolution == "resolved"
