"""Speaker separation without a model: one party per channel, or the whole mix as one speaker."""

from __future__ import annotations

from hearflow import Separation, Separator, Track, hookimpl


class ChannelSeparator(Separator):
    name = "channel"
    description = "stereo telephony: exact, model-free, one speaker per channel"

    def separate(self, audio):
        tracks = tuple(
            Track(audio.samples[index], audio.sample_rate, speaker=f"SPEAKER_{index + 1}", channel=index)
            for index in range(audio.channels)
        )
        return Separation(mode="channel", tracks=tracks, diarized=True)


class SingleSpeakerSeparator(Separator):
    name = "none"
    description = "no diarization: the mixed-down call is transcribed as one speaker"

    def separate(self, audio):
        track = Track(audio.mono(), audio.sample_rate, speaker="SPEAKER_1")
        note = ("diarization not applied: the mono recording was transcribed as one speaker "
                "(SPEAKER_1)")
        return Separation(mode="mono", tracks=(track,), diarized=False, notes=(note,))


@hookimpl
def register_separators(register):
    register(ChannelSeparator)
    register(SingleSpeakerSeparator)
