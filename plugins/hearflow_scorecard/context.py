"""Everything the scorecard template receives, computed from one ``CallResult``.

Absent parts stay ``None`` (or empty lists) so a template can test for them under StrictUndefined.
"""

from __future__ import annotations

from typing import Any

from hearflow import CallResult, ConversationMetrics, TrackerReport
from hearflow_scorecard.analysis_view import dimensions
from hearflow_scorecard.charts import talk_split, timeline
from hearflow_scorecard.roles import separation_label, speaker_roles
from hearflow_scorecard.speakers import SPEAKER_PALETTE, TRACKER_PALETTE, assign_colours, speaker_of, speakers_in
from hearflow_scorecard.timecode import clock, percent
from hearflow_scorecard.trackers_view import bin_labels, tracker_names, tracker_rows
from hearflow_scorecard.transcript_view import transcript_lines


def talk_times(result: CallResult, conversation: ConversationMetrics | None, speakers: list[str]) -> dict[str, float]:
    """Seconds each speaker talked: the metrics' figure, else the stored timing, else the segments."""
    if conversation is not None:
        measured = {name: stats.talk_time for name, stats in conversation.speakers.items()}
    elif result.speaker_timing:
        measured = dict(result.speaker_timing)
    else:
        measured = {}
        for segment in result.segments:
            measured[speaker_of(segment)] = measured.get(speaker_of(segment), 0.0) + segment.end - segment.start
    return {speaker: measured.get(speaker, 0.0) for speaker in speakers}


def scorecard_context(result: CallResult) -> dict[str, Any]:
    conversation, trackers, record = result.report("conversation", ConversationMetrics), result.report("trackers", TrackerReport), result.analysis
    speakers = speakers_in(result, conversation)
    colours = assign_colours(speakers, SPEAKER_PALETTE)
    tracker_colours = assign_colours(tracker_names(trackers), TRACKER_PALETTE)
    talk = talk_times(result, conversation, speakers)
    analysis = record.analysis if record is not None else None
    return {
        "result": result,
        "speakers": speakers,
        "colours": colours,
        "agent": conversation.agent if conversation is not None else None,
        "roles": speaker_roles(speakers, talk, conversation),
        "separation": separation_label(result),
        "has_speech": result.has_speech,
        "talk": talk,
        "talk_slices": talk_split(talk, colours),
        "timeline": timeline(result, speakers, colours, trackers, tracker_colours),
        "conversation": conversation,
        "trackers": trackers,
        "tracker_colours": tracker_colours,
        "tracker_rows": tracker_rows(trackers, tracker_colours) if trackers is not None else [],
        "tracker_hits": len(trackers.hits) if trackers is not None else 0,
        "bin_labels": bin_labels(trackers) if trackers is not None else [],
        "record": record,
        "analysis": analysis,
        "dimensions": dimensions(analysis) if analysis is not None else [],
        "transcript": transcript_lines(result, trackers.hits if trackers else (), colours),
        "clock": clock,
        "percent": percent,
    }
