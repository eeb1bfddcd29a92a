"""Conversation metrics from attributed segments. Definitions are documented on each field of
:class:`hearflow.models.ConversationMetrics`; the common industry meanings, made precise here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hearflow import (CallResult, ConversationMetrics, Metric, Segment, SpeakerStats, StageOptions, Turn, contains_phrase,
                      speaker_timing)

OVERLAP_TOLERANCE = 0.1  # seconds: word-timestamp jitter is not an interruption
AGENT_PHRASES = ("thank you for calling", "how can i help", "how may i help", "my name is",
                 "anything else i can", "is there anything else", "have a great day")


class ConversationMetric(Metric):
    name = "conversation"
    description = "talk time and ratio, words per minute, monologues, questions, interactivity, patience"

    class Options(StageOptions):
        # first: whoever speaks first (inbound calls); channel: the speaker on agent_channel;
        # guess: the speaker using agent phrases most; or a speaker name such as SPEAKER_2.
        agent: str = "first"
        agent_channel: int = 0
        # A monologue ends when another speaker talks or the speaker pauses longer than this.
        monologue_pause: float = 3.0

    def measure(self, result: CallResult) -> ConversationMetrics:
        segments = sorted(result.segments, key=lambda s: (s.start, s.end))
        talk = speaker_timing(segments)
        total_talk = sum(talk.values())
        agent, rule = self.pick_agent(segments)
        switches = sum(1 for a, b in zip(segments, segments[1:]) if a.speaker != b.speaker)
        minutes = result.audio_seconds / 60 if result.audio_seconds else 0.0
        speakers = {
            speaker: SpeakerStats(
                talk_time=seconds,
                talk_ratio=round(seconds / total_talk, 4) if total_talk else 0.0,
                words=(words := sum(len(s.words) for s in segments if s.speaker == speaker)),
                words_per_minute=round(words / (seconds / 60), 1) if seconds else 0.0,
                longest_monologue=round(longest_monologue(segments, speaker, self.options.monologue_pause), 2),
                questions=sum(count_questions(s.text) for s in segments if s.speaker == speaker),
            )
            for speaker, seconds in talk.items()
        }
        return ConversationMetrics(
            speakers=speakers, agent=agent, agent_rule=rule, switches=switches,
            interactivity=round(switches / minutes, 2) if minutes else 0.0,
            patience=patience(segments, agent),
            silence_share=round(1 - speech_seconds(segments) / result.audio_seconds, 4)
            if result.audio_seconds else 0.0,
            overlaps=count_overlaps(sorted(result.turns, key=lambda t: (t.start, t.end)) or segments),
        )

    def pick_agent(self, segments: Sequence[Segment]) -> tuple[str | None, str]:
        rule = self.options.agent
        if not segments:
            return None, rule
        if rule == "first":
            return segments[0].speaker, "first speaker"
        if rule == "channel":
            on_channel = [s.speaker for s in segments if s.channel == self.options.agent_channel]
            return (on_channel[0] if on_channel else None), f"channel {self.options.agent_channel + 1}"
        if rule == "guess":
            speakers = list(dict.fromkeys(s.speaker for s in segments))
            score = {sp: sum(contains_phrase(s.text, p) for s in segments if s.speaker == sp for p in AGENT_PHRASES)
                     for sp in speakers}
            return max(speakers, key=lambda sp: score[sp]), "agent phrases"
        return rule, "configured"


def count_questions(text: str) -> int:
    return len(re.findall(r"\?+", text))


def longest_monologue(segments: Sequence[Segment], speaker: str, max_pause: float) -> float:
    """Longest stretch of one speaker's consecutive segments, nobody else in between and no pause
    longer than ``max_pause``."""
    best, run_start, run_end = 0.0, None, None
    for segment in segments:
        if segment.speaker == speaker:
            if run_end is not None and segment.start - run_end > max_pause:
                run_start = None
            run_start = segment.start if run_start is None else run_start
            run_end = max(segment.end, run_end or segment.end)
            best = max(best, run_end - run_start)
        else:
            run_start = run_end = None
    return best


def patience(segments: Sequence[Segment], agent: str | None) -> float | None:
    """Mean pause before the agent answers the customer (an overlap counts as no pause)."""
    pauses = [max(0.0, b.start - a.end) for a, b in zip(segments, segments[1:])
              if a.speaker != agent and b.speaker == agent]
    return round(sum(pauses) / len(pauses), 3) if pauses and agent else None


def speech_seconds(segments: Sequence[Segment]) -> float:
    """Time in which anyone speaks: the union of all segments."""
    total, cursor = 0.0, float("-inf")
    for segment in segments:
        start = max(segment.start, cursor)
        if segment.end > start:
            total += segment.end - start
        cursor = max(cursor, segment.end)
    return total


def count_overlaps(segments: Sequence[Segment | Turn]) -> int:
    """Times a speaker starts while another is still talking (by more than the tolerance).

    Diarizer turns are used when the result has them: they keep simultaneous speech that the
    word-attributed segments, one speaker at a time, no longer show.
    """
    count = 0
    for index, segment in enumerate(segments):
        if any(other.speaker != segment.speaker and other.end - segment.start > OVERLAP_TOLERANCE
               for other in segments[:index]):
            count += 1
    return count
