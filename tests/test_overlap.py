"""The overlap diarizer on real audio with its real models: pyannote's recorded telephone call,
two AMI meeting clips with overlapped speech, and synthetic calls whose turns are known."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import soundfile

from diarize_fixtures import SCRIPTS, der, rttm_turns, synthetic_calls
from hearflow.errors import ConfigError
from hearflow.media.synth import SUPPORT_CALL, build_call, write_call
from media import ami_clips, pyannote_sample

pytestmark = pytest.mark.slow


# The three-party call has a whispered voice that segmentation-3.0 hardly hears (the VAD does) and
# that CAM++ places close to another voice (centroid similarity 0.55).
@pytest.fixture(scope="module")
def calls():
    return synthetic_calls()


@pytest.fixture(scope="module")
def dev_clips(tmp_path_factory):
    return ami_clips(tmp_path_factory.mktemp("ami"), only=("dev00", "dev01", "trn06", "trn08"))


def diarizer(**options):
    from hearflow_overlap import OverlapDiarizer

    return OverlapDiarizer(options)


def speakers(turns) -> set[str]:
    return {turn.speaker for turn in turns}


def overlapping_time(turns) -> float:
    """Seconds in which two or more turns run at once."""
    edges = sorted([(t.start, 1) for t in turns] + [(t.end, -1) for t in turns])
    total, talking, last = 0.0, 0, 0.0
    for time, change in edges:
        if talking >= 2:
            total += time - last
        talking += change
        last = time
    return total


def test_recorded_telephone_call(tmp_path):
    sample = pyannote_sample(tmp_path)
    samples, rate = soundfile.read(sample["sample.wav"], dtype="float32")
    _, overlapped = diarizer().diarize_views(samples, rate)
    assert der(rttm_turns(sample["sample.rttm"]), overlapped) <= 0.10
    assert len(speakers(overlapped)) == 2


@pytest.mark.parametrize("name", SCRIPTS)
def test_synthetic_calls(calls, name):
    call = calls[name]
    exclusive, overlapped = diarizer().diarize_views(call.mono, call.rate)
    assert len(speakers(overlapped)) == len(speakers(call.turns))
    assert der(call.turns, overlapped) <= 0.05
    assert overlapped[0].speaker == "SPEAKER_1"  # named in order of first speech


@pytest.mark.parametrize("uri, ceiling", [("dev00", 0.25), ("dev01", 0.60), ("trn08", 0.50)])
def test_meeting_clips(dev_clips, uri, ceiling):
    """AMI meeting clips, scored with overlap: the ceilings are the measured DER plus a margin."""
    wav, reference = dev_clips[uri]
    samples, rate = soundfile.read(wav, dtype="float32")
    _, overlapped = diarizer().diarize_views(samples, rate)
    assert der(reference, overlapped) <= ceiling


def test_a_voice_heard_only_over_another_is_one_speaker(dev_clips):
    """trn06's second voice talks only over the first: its two pieces in one window are unlike each
    other and everyone else, and apart they make two speakers of it; as one voice (min_solo) the
    clip has its three."""
    wav, reference = dev_clips["trn06"]
    samples, rate = soundfile.read(wav, dtype="float32")
    assert len(speakers(reference)) == 3
    assert len(speakers(diarizer().diarize_views(samples, rate)[1])) == 3
    assert len(speakers(diarizer(min_solo=0).diarize_views(samples, rate)[1])) == 4


def test_overlapped_speech_is_kept(dev_clips):
    """On a clip where people talk over each other, the overlapped view holds simultaneous speech
    and scores better for it; the exclusive view (for words) never has two speakers at once."""
    wav, reference = dev_clips["trn08"]
    samples, rate = soundfile.read(wav, dtype="float32")
    exclusive, overlapped = diarizer().diarize_views(samples, rate)
    assert overlapping_time(reference) > 1.0
    assert overlapping_time(overlapped) > 0.5
    assert overlapping_time(exclusive) < 0.05
    assert der(reference, overlapped) < der(reference, exclusive)


@pytest.mark.parametrize("hints, expected", [({"num_speakers": 3}, 3), ({"min_speakers": 3}, 3),
                                             ({"max_speakers": 1}, 1)])
def test_speaker_hints_are_obeyed(calls, hints, expected):
    call = calls["support"]  # two voices
    _, overlapped = diarizer(**hints).diarize_views(call.mono, call.rate)
    assert len(speakers(overlapped)) == expected


def test_out_of_range_options_are_config_errors():
    """Its own options are checked like the speaker hints every diarizer shares."""
    for options in ({"step": 0.1}, {"threshold": 1.5}, {"piece": 0.2}, {"min_speakers": 3, "max_speakers": 2}):
        with pytest.raises(ConfigError) as caught:
            diarizer(**options)
        assert caught.value.code == "invalid_options", options


def test_speech_only_the_vad_hears_is_rescued(calls):
    """segmentation-3.0 hears little of the whispered voice; the VAD's rescue gives it back."""
    call = calls["three_party"]
    whispered = [t for t in call.turns if t.speaker == "SPEAKER_3"]
    without, _ = diarizer(rescue=0).diarize_views(call.mono, call.rate)  # exclusive: one turn at a time
    rescued, _ = diarizer().diarize_views(call.mono, call.rate)
    assert covered(whispered, without) < 0.5
    assert covered(whispered, rescued) > 0.9


def covered(reference, turns) -> float:
    """Share of the reference turns' time during which some turn of ``turns`` runs."""
    inside = sum(max(0.0, min(r.end, t.end) - max(r.start, t.start)) for r in reference for t in turns)
    return inside / sum(r.end - r.start for r in reference)


def test_silence_has_no_turns():
    assert diarizer().diarize_views(np.zeros(16_000 * 3, dtype=np.float32), 16_000) == ([], [])


def test_telephone_rate_is_read_in_resampled_slices(calls):
    """An 8 kHz call is resampled a window at a time; the slices match resampling it whole."""
    from hearflow.media.audio import resample
    from hearflow_overlap.reader import Reader

    call = calls["support"]
    narrow = resample(call.mono, call.rate, 8000)
    whole = resample(narrow, 8000, 16000)
    reader = Reader(narrow, 8000)
    assert abs(reader.length - len(whole)) <= 1
    for start in (0, 32_000, 96_000):
        piece = reader(start, 160_000)
        expected = whole[start:start + 160_000]
        assert len(piece) == len(expected)
        assert np.max(np.abs(piece[200:-200] - expected[200:-200])) < 1e-3


def test_windows_cover_the_whole_call():
    from hearflow_overlap.segmentation import WINDOW, window_starts

    for samples in (1000, WINDOW, WINDOW + 1, 3 * WINDOW + 7000, 10 * WINDOW):
        starts = window_starts(samples, 32_000)
        assert starts[0] == 0 and starts[-1] + WINDOW >= samples
        # the last step may be up to a quarter longer (no window for a sliver), never a gap
        assert all(0 < b - a <= 40_000 for a, b in zip(starts, starts[1:]))


def test_exported_networks_match_torch(tmp_path, monkeypatch, calls):
    """ONNX Runtime is a speed-up, not a different model: same scores, same voices."""
    from hearflow_overlap import models

    monkeypatch.setenv("HEARFLOW_HOME", str(tmp_path))
    models.segmentation_runner.cache_clear()
    models.embedding_runner.cache_clear()
    try:
        segment, embed = models.segmentation_runner(), models.embedding_runner()
        assert isinstance(segment, models.OnnxRunner) and isinstance(embed, models.OnnxRunner)
        assert len(list((tmp_path / "models").glob("overlap-*.onnx"))) == 2
        audio = models_input(calls["support"])
        reference = models.TorchRunner(models.segmentation_network())(audio)
        assert np.max(np.abs(segment(audio) - reference)) < 1e-3
        # a long call's int8 LSTM: its own file, the same classes on nearly every frame
        quantised = models.segmentation_runner("cpu", True)
        assert len(list((tmp_path / "models").glob("overlap-segmentation-*-lstm8.onnx"))) == 1
        assert (quantised(audio).argmax(-1) == reference.argmax(-1)).mean() > 0.98
        from hearflow_overlap.fbank import kaldi_fbank

        fbank = kaldi_fbank(audio[0, 0, :48_000])
        fbank = np.ascontiguousarray((fbank - fbank.mean(axis=0))[None])
        exported, eager = embed(fbank)[0], models.TorchRunner(models.embedding_network())(fbank)[0]
        assert exported @ eager / np.linalg.norm(exported) / np.linalg.norm(eager) > 0.9999
    finally:
        models.segmentation_runner.cache_clear()
        models.embedding_runner.cache_clear()


def models_input(call) -> np.ndarray:
    from hearflow.media.audio import resample

    speech = resample(call.mono, call.rate, 16000)[:160_000]
    return np.pad(speech, (0, 160_000 - len(speech)))[None, None].astype(np.float32)


def test_checkpoint_reader_refuses_foreign_code(tmp_path):
    """The restricted unpickler stubs pyannote's classes but refuses any other global."""
    from hearflow_overlap.checkpoint import _RestrictedUnpickler

    class Smuggled:
        def __reduce__(self):
            import os

            return (os.system, ("echo owned",))

    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        _RestrictedUnpickler(_as_file(pickle.dumps(Smuggled()))).load()


def _as_file(data: bytes):
    import io

    return io.BytesIO(data)


def test_default_diarizer_writes_overlap_to_rttm_and_turns(dev_clips, tmp_path):
    """A mono meeting analysed with the default diarizer: the JSON's turns and the RTTM come from
    the diarizer with overlap kept, words go to one speaker each, and the metrics count overlaps."""
    from pyannote.database.util import load_rttm

    from hearflow.output.files import write_outputs
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    wav, reference = dev_clips["trn08"]
    engine = Engine(AnalyzeSettings(analyzer="none"))
    result = engine.run(wav)
    assert result.separator == "overlap"
    assert overlapping_time(result.turns) > 0.5
    paths = {p.suffix[1:]: p for p in write_outputs(engine.registry, result, ["rttm"], tmp_path)}
    (annotation,) = load_rttm(str(paths["rttm"])).values()
    assert len(list(annotation.itertracks())) == len(result.turns)
    assert der(reference, result.turns) <= 0.50
    assert all(w.speaker in speakers(result.turns) for s in result.segments for w in s.words)
    from hearflow.models import ConversationMetrics

    assert result.report("conversation", ConversationMetrics).overlaps >= 1
    write_call(build_call(SUPPORT_CALL), tmp_path / "stereo.wav", stereo=True)
    stereo = engine.run(tmp_path / "stereo.wav")
    assert stereo.turns == () and stereo.separator == "channel"


def test_a_diarization_imports_neither_torch_nor_librosa(calls, tmp_path):
    """With the ONNX exports in place, a diarization runs on ONNX Runtime, numpy and soxr alone:
    importing torch (or librosa's audio module) would add seconds to every one-off call."""
    import subprocess
    import sys

    diarizer().diarize_views(calls["support"].mono, calls["support"].rate)  # the exports exist from here on
    path = tmp_path / "call.wav"
    soundfile.write(path, calls["support"].mono, calls["support"].rate)
    probe = ("import sys, soundfile; from hearflow_overlap import OverlapDiarizer; "
             f"samples, rate = soundfile.read({str(path)!r}, dtype='float32'); "
             "turns, _ = OverlapDiarizer().diarize_views(samples, rate); "
             "print(len(turns) > 0, [m for m in ('torch', 'librosa') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True []"


def test_resampling_gives_what_librosa_gives(calls):
    import librosa

    from hearflow.media.audio import resample

    call = calls["support"]
    for rate, target in ((call.rate, 16_000), (call.rate, 8_000), (8_000, 16_000)):
        samples = call.mono if rate == call.rate else resample(call.mono, call.rate, rate)
        expected = librosa.resample(samples, orig_sr=rate, target_sr=target, res_type="soxr_hq")
        assert np.array_equal(resample(samples, rate, target), expected)


def test_pieces_of_many_windows_embed_in_batches_as_they_would_alone(calls):
    """Batching across windows and computing the filterbank only for the frames an embedding hears
    change the cost, not the voices: each vector matches its piece embedded on its own from the
    whole window's filterbank."""
    from hearflow_overlap.embedding import FBANK_CENTRE, FBANK_SHIFT, Embedder, window_pieces
    from hearflow_overlap.fbank import kaldi_fbank
    from hearflow_overlap.models import embedding_runner, segmentation_runner
    from hearflow_overlap.segmentation import FRAME_STEP, FRAMES, windows

    audio = models_input(calls["backchannel"])[0, 0]
    (window,) = windows(lambda start, count: audio, [0], segmentation_runner())
    pieces = window_pieces(window.activity, zone=(0, FRAMES), piece=2.0, min_clean=0.6, min_active=0.3)
    assert len(pieces) >= 3
    run = embedding_runner()
    calls_made = []
    # half a second each: every piece is cut to the same 50 filterbank frames, so they share batches
    embedder = Embedder(lambda batch: calls_made.append(len(batch)) or run(batch), max_embedded=0.5)
    slots = [embedder.add(window.audio, piece.frames) for piece in pieces]
    vectors = embedder.finish()
    assert len(calls_made) < len(pieces)  # several pieces per network call
    whole = kaldi_fbank(window.audio)
    in_frame = np.minimum(((np.arange(len(whole)) * FBANK_SHIFT + FBANK_CENTRE) / FRAME_STEP).astype(int), FRAMES - 1)
    for piece, slot in zip(pieces, slots):
        features = whole[piece.frames[in_frame]]
        skip = max(0, (len(features) - 50) // 2)
        features = features[skip:skip + 50]
        alone = run(np.ascontiguousarray((features - features.mean(axis=0))[None], dtype=np.float32))[0]
        assert vectors[slot] @ alone / np.linalg.norm(alone) > 0.9999


def test_context_masking_gates_once_per_segment_as_every_frame_would():
    """The gate computed once per 100-frame segment and spread over its frames equals gating each
    frame by its own context (utterance mean plus its segment's mean), on lengths shorter than,
    equal to and between multiples of the segment."""
    import torch
    import torch.nn.functional as F

    from hearflow_overlap.networks import _ContextMask

    torch.manual_seed(5)
    mask = _ContextMask(8, 4, 1).eval()
    with torch.inference_mode():
        for frames in (37, 100, 149, 300, 301):
            x = torch.randn(2, 8, frames)
            segment = torch.arange(frames) // 100
            means = torch.stack([x[..., segment == s].mean(-1) for s in range(int(segment.max()) + 1)], dim=-1)
            context = x.mean(-1, keepdim=True) + means[..., segment]  # per frame
            gate = torch.sigmoid(mask.linear2(F.relu(mask.linear1(context))))
            assert torch.allclose(mask(x), mask.linear_local(x) * gate, atol=1e-5)


def test_mel_energies_match_the_dense_triangles():
    """The cumulative-sum filterbank gives what the dense matrix of Kaldi's mel triangles gives."""
    from hearflow_overlap.fbank import FFT, RATE, _mel, _mel_energies

    edges = np.linspace(_mel(20.0), _mel(RATE / 2), 82)
    bin_mels = _mel(np.arange(FFT // 2) * RATE / FFT)
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    dense = np.maximum(0.0, np.minimum((bin_mels - left) / (centre - left), (right - bin_mels) / (right - centre)))
    power = np.random.default_rng(3).exponential(size=(50, FFT // 2))
    assert np.allclose(_mel_energies(power, 80), power @ dense.T, rtol=1e-10, atol=1e-12)


def test_long_calls_are_segmented_on_a_sparser_grid():
    """Past ``long_call`` seconds windows are ``long_step`` apart, with one piece per local
    speaker and window and shorter excerpts embedded; shorter calls keep the finer grid."""
    from hearflow_overlap.segmentation import RATE, window_starts

    default = diarizer()
    assert default.spacing(299) == (4.0, 4.0, 2.0)
    assert default.spacing(301) == (7.0, 7.0, 1.5)
    assert default.is_long(301) and not default.is_long(299) and not diarizer(long_call=0).is_long(3600)
    assert diarizer(long_call=0).spacing(3600) == (4.0, 4.0, 2.0)
    step, _, _ = default.spacing(600)
    assert len(window_starts(600 * RATE, int(step * RATE))) < len(window_starts(600 * RATE, 4 * RATE)) * 0.7


def test_merge_candidates_kept_up_to_date_equal_a_full_recomputation():
    """After every merge the kept rows and each row's best pair are what recomputing the whole
    matrix gives, so the clustering merges the same pairs in the same order."""
    from hearflow_overlap.clustering import _Clusters, simultaneous

    rng = np.random.default_rng(11)
    count = 120
    vectors = rng.normal(size=(3, 8))[rng.integers(0, 3, count)] + rng.normal(scale=0.8, size=(count, 8))
    starts = rng.integers(0, 40, count)
    places = np.stack([rng.integers(0, 30, count), rng.integers(0, 3, count), starts, starts + 20], axis=1)
    clusters = _Clusters(vectors, simultaneous(places), np.ones(count), margin=0.25)
    merges = 0
    while True:
        a, b = clusters.best()
        kept = clusters.pair.copy()
        fresh = clusters.full_pairs()
        assert np.array_equal(kept, fresh)
        assert (a, b) == np.unravel_index(np.argmax(fresh), fresh.shape)
        if not np.isfinite(kept[a, b]):
            break
        clusters.merge(a, b)
        merges += 1
    assert merges > count // 2  # the loop really merged most of the pieces before it ran out of pairs
