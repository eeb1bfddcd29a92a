"""Who each speaker is on the call, and how the speakers were told apart, in words for the header."""

from __future__ import annotations

from hearflow import CallResult, ConversationMetrics

AGENT, CUSTOMER, OTHER, UNKNOWN = "agent", "customer", "other", "role unknown"


def speaker_roles(speakers: list[str], talk: dict[str, float],
                  conversation: ConversationMetrics | None) -> dict[str, str]:
    """The agent by the metrics' ``agent`` rule; the customer is the other speaker who talked most
    (a transfer or a third party is "other"). Without an agent no role can be told."""
    agent = conversation.agent if conversation is not None else None
    if agent is None or agent not in speakers:
        return {speaker: UNKNOWN for speaker in speakers}
    others = sorted((s for s in speakers if s != agent), key=lambda s: (-talk.get(s, 0.0), speakers.index(s)))
    roles = {speaker: OTHER for speaker in others}
    if others:
        roles[others[0]] = CUSTOMER
    return {speaker: AGENT if speaker == agent else roles[speaker] for speaker in speakers}


def separation_label(result: CallResult) -> str:
    """"channel split" for stereo calls (exact: one party per channel), "diarized by X" when a
    model found the speakers in a mix, else why there is a single speaker."""
    if result.mode == "channel":
        return "channel split (one speaker per channel)"
    if not result.has_speech:
        return f"nobody: no speech for {result.separator or 'the diarizer'} to split"
    if result.diarized:
        return f"diarized by {result.separator}" if result.separator else "diarized"
    if result.separator and result.separator != "none":
        return f"mono, {result.separator} found one speaker"
    return "mono, not diarized"
