"""Output formats: JSON in the call-analytics response shape, SRT, WebVTT, plain text and RTTM."""

from __future__ import annotations

import json
from pathlib import Path

from hearflow import Formatter, hookimpl, render


def clock(seconds: float, separator: str = ".") -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


class JsonFormatter(Formatter):
    name = "json"
    extension = "json"
    description = "the call-analytics response shape: transcript, speaker_timing, segments with words"

    def render(self, result):
        return json.dumps(result.to_response(), indent=2, ensure_ascii=False) + "\n"


class SrtFormatter(Formatter):
    name = "srt"
    extension = "srt"
    description = "SubRip subtitles, one cue per segment, speaker label in front"

    def render(self, result):
        cues = [
            f"{index}\n{clock(s.start, ',')} --> {clock(max(s.end, s.start + 0.001), ',')}\n{s.speaker}: {s.text}\n"
            for index, s in enumerate(result.segments, start=1)
        ]
        return "\n".join(cues)


class VttFormatter(Formatter):
    name = "vtt"
    extension = "vtt"
    description = "WebVTT captions with <v SPEAKER> voice spans"

    def render(self, result):
        cues = [
            f"{clock(s.start)} --> {clock(max(s.end, s.start + 0.001))}\n<v {s.speaker}>{s.text}</v>\n"
            for s in result.segments
        ]
        return "WEBVTT\n\n" + "\n".join(cues)


class TextFormatter(Formatter):
    name = "txt"
    extension = "txt"
    description = "readable transcript with timestamps and speaker timing (templates/transcript.txt.j2)"

    def render(self, result):
        return render("transcript.txt.j2", result=result, clock=lambda t: clock(t)[:8])


class RttmFormatter(Formatter):
    name = "rttm"
    extension = "rttm"
    description = ("NIST RTTM speaker turns, for diarization scoring tools: the diarizer's turns, overlap "
                   "included, or for a channel-split call each channel's segments")

    def render(self, result):
        uri = Path(result.source).stem.replace(" ", "_") or result.id
        # A diarizer's turns say who talks when, simultaneous speech included, as pyannote and NeMo
        # write RTTM; segments only span transcribed words. A channel split has no turns: each
        # channel's segments are its speaker's.
        spans = result.turns or result.segments
        return "".join(
            f"SPEAKER {uri} 1 {s.start:.3f} {max(s.end - s.start, 0.001):.3f} <NA> <NA> {s.speaker} <NA> <NA>\n"
            for s in sorted(spans, key=lambda span: (span.start, span.end))
        )


@hookimpl
def register_formatters(register):
    for formatter in (JsonFormatter, SrtFormatter, VttFormatter, TextFormatter, RttmFormatter):
        register(formatter)
