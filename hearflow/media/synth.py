"""Synthetic two-party calls with known words and turns, spoken by espeak-ng.

Used by ``hearflow example`` to give a new install something to analyse, and by the tests as
ground truth: every turn's text, speaker and exact start/end are known.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from hearflow.errors import HearflowError
from hearflow.models import Turn

RATE = 22_050
# Two clearly different voices: a low male and a high female variant.
VOICES = {
    "SPEAKER_1": ("en-us", 35),
    "SPEAKER_2": ("en-us+f3", 75),
    "SPEAKER_3": ("en-us+whisper", 50),  # breathy: clearly apart from the other two in embedding space
}

SUPPORT_CALL = (
    ("SPEAKER_1", "Thank you for calling Northwind support, my name is Alex. How can I help you today?"),
    ("SPEAKER_2", "Hi Alex. I ordered a laptop last week and it still has not arrived."),
    ("SPEAKER_1", "I am sorry to hear that. Could you give me your order number please?"),
    ("SPEAKER_2", "Yes, the order number is four five six seven eight."),
    ("SPEAKER_1", "Thank you. I can see the parcel was delayed at the warehouse. It will arrive on Friday."),
    ("SPEAKER_2", "That is fine. Can you send me the tracking link by email?"),
    ("SPEAKER_1", "Of course. I have sent it now. Is there anything else I can help with?"),
    ("SPEAKER_2", "No, that is all. Thank you very much for your help."),
)


@dataclass(frozen=True)
class SyntheticCall:
    stereo: np.ndarray  # (speakers, samples): speaker i alone on channel i
    rate: int
    turns: tuple[Turn, ...]
    script: tuple[tuple[str, str], ...]

    @property
    def mono(self) -> np.ndarray:
        return np.clip(self.stereo.sum(axis=0), -1.0, 1.0).astype(np.float32)

    @property
    def duration(self) -> float:
        return self.stereo.shape[1] / self.rate

    def text_of(self, speaker: str | None = None) -> str:
        return " ".join(text for who, text in self.script if speaker in (None, who))


def speak(text: str, speaker: str) -> np.ndarray:
    """One utterance as float32 at ``RATE``, leading and trailing silence trimmed."""
    import soundfile

    if shutil.which("espeak-ng") is None:
        raise HearflowError("espeak-ng is not installed", code="missing_tool",
                            hint="apt-get install espeak-ng")
    voice, pitch = VOICES[speaker]
    wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "165", "--stdout", text],
                         check=True, capture_output=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    assert rate == RATE, rate
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0]: loud[-1] + 1] * 0.8


def build_call(script=SUPPORT_CALL, gap: float = 0.7, lead: float = 0.5) -> SyntheticCall:
    """Lay the turns out one after another with ``gap`` seconds of silence between them."""
    speakers = sorted({who for who, _ in script})
    pieces, turns, cursor = [], [], int(lead * RATE)
    for who, text in script:
        audio = speak(text, who)
        pieces.append((speakers.index(who), cursor, audio))
        turns.append(Turn(start=round(cursor / RATE, 3), end=round((cursor + len(audio)) / RATE, 3),
                          speaker=who))
        cursor += len(audio) + int(gap * RATE)
    stereo = np.zeros((len(speakers), cursor + int(lead * RATE)), dtype=np.float32)
    for channel, start, audio in pieces:
        stereo[channel, start: start + len(audio)] += audio
    return SyntheticCall(stereo, RATE, tuple(turns), tuple(script))


def write_call(call: SyntheticCall, path, *, stereo: bool = True) -> None:
    import soundfile

    data = call.stereo.T if stereo else call.mono
    soundfile.write(str(path), data, call.rate, subtype="PCM_16")
