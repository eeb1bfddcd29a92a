"""The offline analyzer: lexicon and metric based, deterministic, no language model.

It fills the nine analysis dimensions with rules anyone can read in ``lexicon.py`` and says in
its output that it is a heuristic. It is the default when no language-model key is configured.
"""

from __future__ import annotations

from collections import Counter

from hearflow import (AnalysisRecord, Analyzer, Answer, CallAnalysis, CallResult, ConversationMetrics, STOPWORDS, Segment,
                      StageOptions, TrackerReport, contains_phrase, content_stems, hookimpl, proper_nouns, tokens)
from hearflow_offline import lexicon

MODEL = "offline-lexicon-1"
YES_NO_STARTS = ("did", "does", "do", "is", "was", "were", "are", "can", "could", "will", "would", "has",
                 "have", "should")
AGREEMENT = ("yes", "sure", "of course", "agree", "agreed", "fine", "okay", "ok", "sounds good", "deal")


def _has_any(text: str, phrases) -> int:
    return sum(contains_phrase(text, p) for p in phrases)


class OfflineAnalyzer(Analyzer):
    name = "offline"
    description = "deterministic lexicon- and metric-based analysis; no model, no network (a heuristic)"
    heuristic = True

    class Options(StageOptions):
        max_quotes: int = 3

    def analyze(self, result: CallResult) -> AnalysisRecord:
        conversation = result.report("conversation", ConversationMetrics)
        agent = conversation.agent if conversation else _first_speaker(result)
        customer_text = " ".join(s.text for s in result.segments if s.speaker != agent)
        agent_text = " ".join(s.text for s in result.segments if s.speaker == agent)
        everything = " ".join(s.text for s in result.segments)
        sentiment = _sentiment(customer_text or everything)
        escalated = _has_any(everything, lexicon.ESCALATION) > 0
        resolution = _resolution(result.segments, agent, escalated, sentiment)
        intent = _intent(customer_text or everything)
        compliance_notes = _compliance_gaps(agent_text)
        politeness = _has_any(agent_text, lexicon.POLITE)
        performance = ("excellent" if politeness >= 3 and not compliance_notes else
                       "good" if politeness >= 1 else "fair" if agent_text else "poor")
        risk = "high" if escalated else "medium" if sentiment in ("negative", "mixed") else "low"
        score = 3 + {"positive": 1, "neutral": 0, "mixed": -1, "negative": -2}[sentiment] + (
            1 if resolution == "resolved" else -1 if resolution in ("unresolved", "escalated") else 0)
        analysis = CallAnalysis(
            sentiment=sentiment, intent=intent, resolution=resolution, agent_performance=performance,
            escalation_risk=risk, key_topics=_topics(result, intent), action_items=_action_items(result, agent),
            compliance="issues_found" if compliance_notes else "compliant", compliance_notes=compliance_notes,
            satisfaction_score=max(1, min(5, score)),
            summary=f"{intent.capitalize()}, {resolution.replace('_', ' ')}; customer sentiment {sentiment} "
                    f"(offline heuristic)",
        )
        return AnalysisRecord(analyzer=self.name, model=MODEL, heuristic=True, analysis=analysis)

    def ask(self, result: CallResult, question: str) -> Answer:
        """Quote the lines that share the most content words with the question."""
        wanted = content_stems(question)
        scored = [(len(wanted & content_stems(s.text)), index, s) for index, s in enumerate(result.segments)]
        best = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
        lines = [s for _, _, s in sorted(best[: self.options.max_quotes], key=lambda item: item[1])]
        quotes = tuple(f"[{_clock(s.start)}] {s.speaker}: {s.text}" for s in lines)
        if not quotes:
            answer = ("The transcript does not mention this: no line shares a content word with the "
                      "question (offline heuristic answer).")
        elif tokens(question)[:1] and tokens(question)[0] in YES_NO_STARTS:
            agreed = any(_has_any(s.text, AGREEMENT) for s in _replies_to(result.segments, lines))
            verdict = "Probably yes" if agreed else "Unclear"
            answer = f"{verdict}, judging by the {len(quotes)} line(s) quoted (offline heuristic answer)."
        else:
            answer = f"The transcript speaks to this in {len(quotes)} line(s), quoted (offline heuristic answer)."
        return Answer(question=question, answer=answer, quotes=quotes, analyzer=self.name, model=MODEL)


def _first_speaker(result: CallResult) -> str | None:
    return result.segments[0].speaker if result.segments else None


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def _sentiment(text: str) -> str:
    words = tokens(text)
    positive = sum(w in lexicon.POSITIVE for w in words)
    negative = sum(w in lexicon.NEGATIVE for w in words)
    if positive and negative and min(positive, negative) / max(positive, negative) > 0.5:
        return "mixed"
    if positive > negative:
        return "positive"
    return "negative" if negative > positive else "neutral"


def _resolution(segments, agent, escalated, sentiment) -> str:
    if escalated:
        return "escalated"
    closing = " ".join(s.text for s in segments[-3:] if s.speaker != agent)
    if _has_any(closing, lexicon.CLOSING_OK):
        return "resolved"
    return "unresolved" if sentiment == "negative" else "partially_resolved"


def _intent(text: str) -> str:
    words = set(tokens(text))
    scores = {name: len(words & set(cues)) for name, cues in lexicon.INTENTS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] else "general inquiry"


def _compliance_gaps(agent_text: str) -> list[str]:
    gaps = []
    if not _has_any(agent_text, lexicon.GREETING):
        gaps.append("no greeting with the agent's name or company")
    if not _has_any(agent_text, lexicon.CLOSING):
        gaps.append("no closing check (\"anything else?\")")
    return gaps


def _topics(result: CallResult, intent: str) -> list[str]:
    # Names are left out: a topic list is read by people who should not learn who was on the call.
    names = proper_nouns(s.text for s in result.segments)
    counts = Counter(w for s in result.segments for w in tokens(s.text)
                     if len(w) > 3 and w not in STOPWORDS and w not in names)
    trackers = result.report("trackers", TrackerReport)
    tracked = [name for name, n in (trackers.counts.items() if trackers else ()) if n]
    frequent = [w for w, n in counts.most_common(8) if n > 1]
    return list(dict.fromkeys([intent, *tracked, *frequent]))[:6]


def _action_items(result: CallResult, agent) -> list[str]:
    items = []
    for segment in result.segments:
        for sentence in segment.text.replace("!", ".").replace("?", ".").split("."):
            if segment.speaker == agent and _has_any(sentence, lexicon.COMMITMENTS):
                items.append(f"{segment.speaker}: {sentence.strip()}")
    return items


def _replies_to(segments, lines: list[Segment]) -> list[Segment]:
    """The quoted lines and the line right after each: where agreement would be said."""
    positions = [i for i, s in enumerate(segments) if s in lines]
    return [segments[j] for i in positions for j in (i, i + 1) if j < len(segments)]


@hookimpl
def register_analyzers(register):
    register(OfflineAnalyzer)
