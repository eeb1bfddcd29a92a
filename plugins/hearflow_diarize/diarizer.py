"""The ``embedded`` separator: offline diarization of mono calls with models shipped in wheels.

Pipeline and why each piece:

* Speech regions come from Silero VAD (weights inside the ``silero-vad`` wheel). It is small, runs
  at 16 kHz in a few hundredths of real time, and keeps short replies such as "uh huh" that an
  energy gate loses on noisy lines. Telephony at 8 kHz is resampled up first.
* Each region is cut into 1.5 s windows every 0.75 s; a shorter region is one window. Windows
  never cross silence, so one window rarely holds two voices.
* Resemblyzer's VoiceEncoder (weights inside its wheel) turns each window into a 256-d voice
  embedding. It needs only torch and is fast on CPU, which keeps diarization a small fraction of
  the ASR time.
* The eigengap of a pruned affinity graph gives the number of speakers (or the
  ``num_speakers`` / ``min_speakers`` / ``max_speakers`` hints do); average-linkage clustering,
  refined by centroid reassignment, groups the windows.
* Frames go to the nearest window centre, brief islands are absorbed, same-speaker pieces are
  joined across short pauses; turn edges are the VAD's speech edges.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from hearflow import VAD_RATE, MonoDiarizer, Turn, resample, speech_regions

from hearflow_diarize.clustering import cluster_windows
from hearflow_diarize.embeddings import mel_frames, window_embeddings
from hearflow_diarize.turns import label_regions, to_turns
from hearflow_diarize.windows import sliding_windows


class EmbeddedDiarizer(MonoDiarizer):
    name = "embedded"
    description = "offline diarization of mono calls: Silero VAD, Resemblyzer voices, clustering"
    requires = ("torch", "silero_vad", "resemblyzer", "sklearn")
    extra = "diarize"

    class Options(MonoDiarizer.Options):
        prune: float = Field(default=0.3, gt=0, le=1, description="share of affinity links each window keeps")
        window: float = Field(default=1.5, gt=0.2, description="embedding window, seconds")
        hop: float = Field(default=0.75, gt=0.05, description="window step, seconds")
        vad_threshold: float = Field(default=0.5, gt=0, lt=1)
        min_island: float = Field(default=0.5, ge=0, description="shorter runs inside speech join a neighbour")
        max_gap: float = Field(default=0.5, ge=0, description="same-speaker pieces closer than this merge")

        @model_validator(mode="after")
        def _hop_within_window(self):
            if self.hop > self.window:
                raise ValueError("hop must not exceed window, or speech between windows goes unheard")
            return self

    def diarize(self, samples: np.ndarray, sample_rate: int) -> list[Turn]:
        options = self.options
        speech = resample(samples, sample_rate, VAD_RATE)
        regions = speech_regions(speech, threshold=options.vad_threshold)
        windows = sliding_windows(regions, options.window, options.hop)
        if not windows:
            return []
        embeddings = window_embeddings(mel_frames(speech), [(w.start, w.end) for w in windows])
        labels = cluster_windows(
            embeddings, np.array([w.duration for w in windows]), prune=options.prune,
            num_speakers=options.num_speakers, min_speakers=options.min_speakers,
            max_speakers=options.max_speakers)
        pieces = label_regions(regions, windows, labels, min_island=options.min_island)
        return to_turns(pieces, max_gap=options.max_gap)
