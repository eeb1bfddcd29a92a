"""Keyword trackers: named phrase lists, hits with time and speaker, and hits per time bin."""

from __future__ import annotations

from hearflow import CallResult, Metric, StageOptions, TrackerHit, TrackerReport, tokens

DEFAULT_TRACKERS = {
    "pricing": ["price", "pricing", "cost", "discount", "expensive", "cheaper", "budget", "quote", "invoice",
                "refund", "fee"],
    "objections": ["too expensive", "not interested", "cancel", "think about it", "not sure", "no budget"],
    "competitors": [],
}


class TrackerMetric(Metric):
    name = "trackers"
    description = "named phrase lists (pricing, objections, competitors, your own) with timestamps"

    class Options(StageOptions):
        trackers: dict[str, list[str]] = DEFAULT_TRACKERS
        bins: int = 10

    def measure(self, result: CallResult) -> TrackerReport:
        hits = sorted(
            (hit for segment in result.segments for hit in self.find(segment)),
            key=lambda h: (h.start, h.tracker))
        bin_seconds = (result.audio_seconds / self.options.bins) if result.audio_seconds else 0.0
        bins = {name: [0] * self.options.bins for name in self.options.trackers}
        for hit in hits:
            index = min(int(hit.start / bin_seconds), self.options.bins - 1) if bin_seconds else 0
            bins[hit.tracker][index] += 1
        counts = {name: sum(values) for name, values in bins.items()}
        return TrackerReport(hits=tuple(hits), counts=counts, bin_seconds=round(bin_seconds, 3), bins=bins)

    def find(self, segment):
        """Phrases matched on word tokens, so each hit has the times of its own words."""
        spoken = [(tokens(w.text), w) for w in segment.words]
        flat = [(token, word) for parts, word in spoken for token in parts]
        for tracker, phrases in self.options.trackers.items():
            for phrase in phrases:
                wanted = tokens(phrase)
                for i in range(len(flat) - len(wanted) + 1):
                    if wanted and [t for t, _ in flat[i: i + len(wanted)]] == wanted:
                        first, last = flat[i][1], flat[i + len(wanted) - 1][1]
                        yield TrackerHit(tracker=tracker, phrase=phrase, start=first.start, end=last.end,
                                         speaker=segment.speaker, text=segment.text)
