"""The analysis dimensions as labelled values with a tone (good, warn, bad, neutral) for colour."""

from __future__ import annotations

from dataclasses import dataclass

from hearflow import CallAnalysis

# How each choice reads for the business: what a supervisor would want to see in green or red.
TONES = {
    "sentiment": {"positive": "good", "neutral": "neutral", "mixed": "warn", "negative": "bad"},
    "resolution": {"resolved": "good", "partially_resolved": "warn", "unresolved": "bad", "escalated": "bad"},
    "agent_performance": {"excellent": "good", "good": "good", "fair": "warn", "poor": "bad"},
    "escalation_risk": {"low": "good", "medium": "warn", "high": "bad"},
    "compliance": {"compliant": "good", "issues_found": "bad", "not_applicable": "neutral"},
}
TITLES = {
    "sentiment": "Sentiment", "resolution": "Resolution", "agent_performance": "Agent performance",
    "escalation_risk": "Escalation risk", "compliance": "Compliance",
}


@dataclass(frozen=True)
class Dimension:
    title: str
    value: str
    tone: str
    notes: tuple[str, ...] = ()
    badge: bool = True  # a choice shown as a coloured badge; free text (the intent) is shown plain


def choice_label(choice: str) -> str:
    return choice.replace("_", " ").capitalize()


def satisfaction_tone(score: int) -> str:
    return "good" if score >= 4 else "warn" if score == 3 else "bad"


def dimensions(analysis: CallAnalysis) -> list[Dimension]:
    """The single-valued dimensions; key topics and action items are lists the template shows whole."""
    rated = {field: Dimension(TITLES[field], choice_label(getattr(analysis, field)),
                              TONES[field][getattr(analysis, field)])
             for field in TONES}
    return [
        rated["sentiment"],
        Dimension("Intent", analysis.intent, "neutral", badge=False),
        rated["resolution"],
        rated["agent_performance"],
        rated["escalation_risk"],
        Dimension("Satisfaction", f"{analysis.satisfaction_score}/5", satisfaction_tone(analysis.satisfaction_score)),
        Dimension(TITLES["compliance"], rated["compliance"].value, rated["compliance"].tone,
                  tuple(analysis.compliance_notes)),
    ]
