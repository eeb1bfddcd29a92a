"""Who speaks in a call, and the one colour each speaker (or tracker) keeps in every section."""

from __future__ import annotations

from hearflow import CallResult, ConversationMetrics, Segment, speaker_sort_key

# A segment without a label belongs to the lone speaker, as in ``CallResult.transcript``.
UNLABELLED_SPEAKER = "SPEAKER_1"

# Distinguishable on white and for the common colour-vision deficiencies, in this order.
SPEAKER_PALETTE = ("#2563eb", "#ea580c", "#0d9488", "#9333ea", "#db2777", "#65a30d", "#0891b2", "#a16207")
TRACKER_PALETTE = ("#dc2626", "#7c3aed", "#0f766e", "#c2410c", "#4338ca", "#be185d", "#15803d", "#475569")


def speaker_of(segment: Segment) -> str:
    return segment.speaker or UNLABELLED_SPEAKER


def speakers_in(result: CallResult, conversation: ConversationMetrics | None) -> list[str]:
    """Every speaker any part of the result mentions, so no section meets a name without a colour."""
    names = set(result.speaker_timing) | {speaker_of(s) for s in result.segments}
    if conversation is not None:
        names |= set(conversation.speakers)
    return sorted(names, key=speaker_sort_key)


def assign_colours(names: list[str], palette: tuple[str, ...]) -> dict[str, str]:
    return {name: palette[index % len(palette)] for index, name in enumerate(names)}


def tint(colour: str, alpha: float) -> str:
    """``#rrggbb`` at the given opacity, for shaded cells and highlights."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha:.2f})"
