"""Words to speakers: every word and segment ends up with exactly one speaker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hearflow.models import Segment, Track, Transcript, Turn, Word, speaker_sort_key


def attribute(pairs: Iterable[tuple[Track, Transcript]], turns: Sequence[Turn] = ()) -> tuple[Segment, ...]:
    """Tag each track's words with its speaker, or with the turn they overlap most when the
    track is a diarized mix. Segments are split where the speaker changes mid-segment."""
    segments: list[Segment] = []
    for track, transcript in pairs:
        for segment in transcript.segments:
            if track.speaker is not None or not turns:
                speaker = track.speaker or "SPEAKER_1"
                words = tuple(w.model_copy(update={"speaker": speaker, "channel": track.channel})
                              for w in segment.words)
                segments.append(segment.model_copy(
                    update={"speaker": speaker, "channel": track.channel, "words": words}))
            else:
                words = tuple(w.model_copy(update={"speaker": speaker_at(w, turns)}) for w in segment.words)
                segments.extend(split_on_speaker_change(words))
    return tuple(sorted(segments, key=lambda s: (s.start, s.channel or 0)))


def speaker_at(word: Word, turns: Sequence[Turn]) -> str:
    """The turn overlapping the word most; in a gap, the nearest turn."""
    best, best_overlap = None, 0.0
    for turn in turns:
        overlap = min(word.end, turn.end) - max(word.start, turn.start)
        if overlap > best_overlap:
            best, best_overlap = turn, overlap
    if best is None:
        middle = (word.start + word.end) / 2
        best = min(turns, key=lambda t: max(t.start - middle, middle - t.end, 0.0))
    return best.speaker


def split_on_speaker_change(words: Sequence[Word]) -> list[Segment]:
    runs: list[list[Word]] = []
    for word in words:
        if runs and runs[-1][-1].speaker == word.speaker:
            runs[-1].append(word)
        else:
            runs.append([word])
    return [
        Segment(start=run[0].start, end=run[-1].end, text=" ".join(w.text for w in run),
                speaker=run[0].speaker, channel=run[0].channel, words=tuple(run))
        for run in runs
    ]


def speaker_timing(segments: Iterable[Segment]) -> dict[str, float]:
    """Seconds each speaker talks: the sum of that speaker's segment durations."""
    totals: dict[str, float] = {}
    for segment in segments:
        speaker = segment.speaker or "SPEAKER_1"
        totals[speaker] = totals.get(speaker, 0.0) + max(segment.end - segment.start, 0.0)
    return {speaker: round(seconds, 2) for speaker, seconds in sorted(totals.items(), key=lambda item: speaker_sort_key(item[0]))}

