"""Calls with known turns for the diarizer, and the scores it is judged by."""

from __future__ import annotations

from collections.abc import Iterable

from hearflow.media.synth import SUPPORT_CALL, build_call
from hearflow.models import Turn
from hearflow.evaluation.scoring import annotation, der, rttm_turns  # noqa: F401  (re-exported for the tests)


# The caller answers the agent's long turns with short acknowledgements.
BACKCHANNEL_CALL = (
    ("SPEAKER_1", "Thanks for holding. I have pulled up your account and I can see two open tickets "
                  "about the router."),
    ("SPEAKER_2", "Uh huh."),
    ("SPEAKER_1", "The first one was closed by mistake, so I am reopening it now and adding a note "
                  "for the engineer."),
    ("SPEAKER_2", "Okay."),
    ("SPEAKER_1", "The engineer will call you tomorrow morning between nine and eleven to book a visit."),
    ("SPEAKER_2", "Right."),
    ("SPEAKER_1", "Is that time window going to work for you, or should I ask for the afternoon?"),
    ("SPEAKER_2", "The morning works fine for me, thank you for sorting that out so quickly."),
)

# An agent brings in a colleague from billing.
THREE_PARTY_CALL = (
    ("SPEAKER_1", "Hello, this is Sam from support. I have Jordan from billing on the line with us."),
    ("SPEAKER_3", "Good afternoon. I looked at your invoice and found the duplicate charge."),
    ("SPEAKER_2", "Thank you, I was charged twice for the same month and nobody could explain why."),
    ("SPEAKER_3", "The payment was retried after a timeout. I have refunded the second charge today."),
    ("SPEAKER_1", "So the refund should reach your card within five working days."),
    ("SPEAKER_2", "That is great news. Will I get an email confirming the refund?"),
    ("SPEAKER_3", "Yes, the confirmation goes out tonight with the reference number."),
    ("SPEAKER_1", "Is there anything else we can help you with today?"),
    ("SPEAKER_2", "No, that is everything. Thank you both."),
)

# the synthetic calls every diarizer is tested on, by name
SCRIPTS = {"support": SUPPORT_CALL, "backchannel": BACKCHANNEL_CALL, "three_party": THREE_PARTY_CALL}


def synthetic_calls() -> dict:
    return {name: build_call(script) for name, script in SCRIPTS.items()}


def label_mapping(reference: Iterable[Turn], hypothesis: Iterable[Turn]) -> dict[str, str]:
    """Hypothesis speaker → reference speaker, the pairing that maximises overlap."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    return dict(DiarizationErrorRate().optimal_mapping(annotation(reference), annotation(hypothesis)))


def speaker_at(turns: Iterable[Turn], time: float) -> str | None:
    """The speaker talking at ``time``, else the one whose turn is nearest (words spill over
    turn edges by a few tens of milliseconds)."""
    turns = list(turns)
    inside = [t for t in turns if t.start <= time <= t.end]
    if inside:
        return inside[0].speaker
    return min(turns, key=lambda t: min(abs(t.start - time), abs(t.end - time))).speaker


def words_on_right_speaker(result, reference: list[Turn]) -> float:
    """Share of transcribed words whose speaker, mapped to reference names, is the one talking
    at the word's midpoint."""
    hypothesis = [Turn(start=s.start, end=s.end, speaker=s.speaker) for s in result.segments]
    mapping = label_mapping(reference, hypothesis)
    words = [w for s in result.segments for w in s.words]
    right = sum(mapping.get(w.speaker) == speaker_at(reference, (w.start + w.end) / 2) for w in words)
    return right / len(words)
