"""A realistic two-party support call with metrics, trackers and analysis, built from the models
directly (no speech model), plus the degenerate variants a scorecard must still render."""

from __future__ import annotations

from hearflow.models import (AnalysisRecord, CallAnalysis, CallResult, ConversationMetrics, ErrorInfo,
                             Segment, SpeakerStats, TrackerHit, TrackerReport, Word)

AGENT, CUSTOMER = "SPEAKER_1", "SPEAKER_2"
CALL_SECONDS = 91.0
BIN_SECONDS = 15.0

# (start, end, speaker, text): alternating turns, one overlap at 41.2 s.
SCRIPT = [
    (0.4, 5.2, AGENT, "Thank you for calling Northwind Broadband, this is Maya. How can I help you today?"),
    (5.9, 14.8, CUSTOMER, "Hi, my internet keeps dropping every evening and I was charged twice on my last bill."),
    (15.3, 22.6, AGENT, "I'm sorry about that. Can I have your account number so I can look into both issues?"),
    (23.4, 28.1, CUSTOMER, "Sure, it's four four seven one nine two."),
    (29.0, 41.5, AGENT, "Thanks. I can see a duplicate charge of forty nine dollars, so I will issue a refund "
                        "today and it should arrive within five business days."),
    (41.2, 47.9, CUSTOMER, "Okay, good. And the outages? This is really frustrating, I work from home."),
    (49.0, 63.5, AGENT, "I understand. Your line shows errors after six pm, so I'm booking a technician visit "
                        "for Thursday morning. Does that work for you?"),
    (64.2, 70.0, CUSTOMER, "Thursday works. If it keeps failing I will cancel my contract."),
    (71.0, 82.4, AGENT, "That's fair. I've noted it on your account and you'll get a text confirming the visit. "
                        "Is there anything else I can help with?"),
    (83.0, 86.1, CUSTOMER, "No, that's all. Thanks for your help."),
]
TRACKED = {"billing": ["charged twice", "duplicate charge", "refund"], "churn": ["cancel"],
           "technical": ["internet", "outages", "technician"]}


def spoken_segment(start: float, end: float, speaker: str, text: str) -> Segment:
    """A segment whose words share its time in proportion to their length, as speech roughly does."""
    tokens = text.split()
    weights = [len(token) + 1 for token in tokens]
    per_weight, cursor, words = (end - start) / sum(weights), start, []
    for token, weight in zip(tokens, weights):
        words.append(Word(start=round(cursor, 3), end=round(cursor + weight * per_weight, 3), text=token,
                          probability=0.93, speaker=speaker))
        cursor += weight * per_weight
    return Segment(start=start, end=end, text=text, speaker=speaker, words=tuple(words))


def _bare(token: str) -> str:
    return token.strip(".,?!").lower()


def find_hits(segments: list[Segment], tracked: dict[str, list[str]]) -> list[TrackerHit]:
    """Each tracked phrase where its words appear in a row, timed by those words."""
    hits = []
    for segment in segments:
        spoken = [_bare(word.text) for word in segment.words]
        for tracker, phrases in tracked.items():
            for phrase in phrases:
                wanted = phrase.split()
                for index in range(len(spoken) - len(wanted) + 1):
                    if spoken[index:index + len(wanted)] == wanted:
                        first, last = segment.words[index], segment.words[index + len(wanted) - 1]
                        hits.append(TrackerHit(tracker=tracker, phrase=phrase, start=first.start, end=last.end,
                                               speaker=segment.speaker, text=segment.text))
    return sorted(hits, key=lambda hit: hit.start)


def tracker_report(hits: list[TrackerHit], trackers: list[str]) -> TrackerReport:
    bins = {tracker: [0] * int(-(-CALL_SECONDS // BIN_SECONDS)) for tracker in trackers}
    for hit in hits:
        bins[hit.tracker][int(hit.start // BIN_SECONDS)] += 1
    counts = {tracker: sum(per_bin) for tracker, per_bin in bins.items()}
    return TrackerReport(hits=tuple(hits), counts=counts, bin_seconds=BIN_SECONDS, bins=bins)


def speaker_stats(segments: list[Segment], speaker: str, all_talk: float) -> SpeakerStats:
    own = [s for s in segments if s.speaker == speaker]
    talk = sum(s.end - s.start for s in own)
    words = sum(len(s.words) for s in own)
    # Turns alternate in this call, so a monologue is one segment.
    return SpeakerStats(talk_time=round(talk, 2), talk_ratio=round(talk / all_talk, 4), words=words,
                        words_per_minute=round(words / (talk / 60), 1),
                        longest_monologue=max(s.end - s.start for s in own),
                        questions=sum(s.text.count("?") for s in own))


def conversation(segments: list[Segment]) -> ConversationMetrics:
    all_talk = sum(s.end - s.start for s in segments)
    speakers = sorted({s.speaker for s in segments})
    return ConversationMetrics(
        speakers={name: speaker_stats(segments, name, all_talk) for name in speakers},
        agent=AGENT, agent_rule="first speaker", switches=len(segments) - 1,
        interactivity=round((len(segments) - 1) / (CALL_SECONDS / 60), 2), patience=0.74,
        silence_share=0.12, overlaps=1)


def analysis_record(heuristic: bool = False) -> AnalysisRecord:
    analysis = CallAnalysis(
        sentiment="mixed", intent="evening internet drop-outs and a duplicate charge",
        resolution="partially_resolved", agent_performance="good", escalation_risk="medium",
        key_topics=["internet outages", "duplicate charge", "refund", "technician visit", "cancellation threat"],
        action_items=["Refund the duplicate $49 charge within five business days",
                      "Technician visit on Thursday morning", "Text the customer to confirm the visit"],
        compliance="issues_found", compliance_notes=["Identity confirmed by account number only"],
        satisfaction_score=3,
        summary="Customer reported nightly internet drops and a double charge; the agent refunded the "
                "charge and booked a technician, and noted a cancellation threat.")
    if heuristic:
        return AnalysisRecord(analyzer="offline", heuristic=True, analysis=analysis)
    return AnalysisRecord(analyzer="llm", model="llama3.1:8b", analysis=analysis,
                          usage={"input_tokens": 1873, "output_tokens": 236}, attempts=1)


def support_call(call_id: str = "5c0f3e9a7b2d4e61", **changes) -> CallResult:
    """The full fixture; keyword arguments replace fields (``metrics={}``, ``analysis=None``…)."""
    segments = [spoken_segment(*line) for line in SCRIPT]
    hits = find_hits(segments, TRACKED)
    fields = dict(
        id=call_id, source="northwind-support-0412.wav", sha256="ab" * 32, format="wav", mode="channel",
        diarized=False, language="en", model="tiny.en", audio_seconds=CALL_SECONDS, channels=2,
        sample_rate=8000, segments=tuple(segments),
        speaker_timing={name: round(sum(s.end - s.start for s in segments if s.speaker == name), 2)
                        for name in (AGENT, CUSTOMER)},
        notes=("stereo call: one speaker per channel",), generated_at="2024-04-12T09:31:05Z",
        metrics={"conversation": conversation(segments).model_dump(mode="json"),
                 "trackers": tracker_report(hits, list(TRACKED)).model_dump(mode="json")},
        analysis=analysis_record(),
    )
    return CallResult(**{**fields, **changes})


def bare_call() -> CallResult:
    """Transcript only: no metrics, no analysis."""
    return support_call(metrics={}, analysis=None)


def failed_analysis_call() -> CallResult:
    error = ErrorInfo(code="analysis_failed", message="the model's answer was not valid JSON after 3 attempts")
    return support_call(analysis=AnalysisRecord(analyzer="llm", model="llama3.1:8b", error=error, attempts=3))


def single_speaker_call() -> CallResult:
    """A voicemail: one speaker, unlabelled segments, no trackers or analysis."""
    segments = (Segment(start=0.8, end=6.5, text="Hi, this is Dana from Acme returning your call about the quote."),
                Segment(start=7.1, end=12.9, text="Please ring me back on the usual number. Thanks!"))
    metrics = {"conversation": ConversationMetrics(
        speakers={"SPEAKER_1": SpeakerStats(talk_time=11.5, talk_ratio=1.0, words=21, words_per_minute=109.6,
                                            longest_monologue=12.1, questions=0)},
        agent=None, agent_rule="no agent found", switches=0, interactivity=0.0, patience=None,
        silence_share=0.12, overlaps=0).model_dump(mode="json")}
    return support_call(call_id="9d1e0b7c44aa0f32", source="voicemail.wav", mode="mono", segments=segments,
                        speaker_timing={"SPEAKER_1": 11.5}, audio_seconds=13.4, notes=(), metrics=metrics,
                        analysis=None)


def mono_call() -> CallResult:
    """The support call as one mono mix, diarized, with a third voice (a supervisor) joining."""
    base = support_call()
    third = spoken_segment(87.0, 90.5, "SPEAKER_3", "Hi, this is the supervisor, just listening in today.")
    segments = (*base.segments, third)
    timing = {**base.speaker_timing, "SPEAKER_3": 3.5}
    conversation = ConversationMetrics.model_validate(base.metrics["conversation"])
    stats = {**conversation.speakers, "SPEAKER_3": SpeakerStats(talk_time=3.5, talk_ratio=0.04, words=9,
                                                                 words_per_minute=154.3, longest_monologue=3.5,
                                                                 questions=0)}
    metrics = {**base.metrics, "conversation": conversation.model_copy(update={"speakers": stats}).model_dump(mode="json")}
    return support_call(call_id="7e21c0d9a8b34f05", source="northwind-support-0412-mono.wav", mode="mono",
                        diarized=True, separator="embedded", channels=1, segments=segments, speaker_timing=timing,
                        notes=(), metrics=metrics)


def quiet_trackers_call() -> CallResult:
    """Trackers ran and matched nothing."""
    base = support_call()
    return support_call(metrics={**base.metrics, "trackers": tracker_report([], list(TRACKED)).model_dump(mode="json")})
