"""--mode auto: channel split for true stereo, the configured diarizer for mono and fake stereo."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hearflow.pipeline.engine import Engine
from hearflow.plugins.hookspecs import hookimpl
from hearflow.plugins.manager import build_registry, get_plugin_manager
from hearflow.settings import AnalyzeSettings
from hearflow_overlap import OverlapDiarizer


def test_true_stereo_is_split_by_channel(stereo_wav):
    engine = Engine()
    separation = engine.separate(engine.split(engine.decode(engine.fingerprint(stereo_wav))))
    assert (separation.mode, separation.separator) == ("channel", "channel")
    assert [track.speaker for track in separation.tracks] == ["SPEAKER_1", "SPEAKER_2"]


def test_mono_call_is_diarized_by_default(mono_wav, call):
    result = Engine().run(mono_wav)
    assert (result.mode, result.separator, result.diarized) == ("mono", "overlap", True)
    assert sorted(result.speaker_timing) == ["SPEAKER_1", "SPEAKER_2"]
    assert result.to_response()["separator"] == "overlap"
    assert len(result.turns) >= len(call.turns) // 2  # the diarizer's own turns are kept on the result


def test_fake_stereo_takes_the_configured_diarizer(tmp_path, call):
    import soundfile

    path = tmp_path / "fake.wav"
    soundfile.write(path, np.stack([call.mono, call.mono]).T, call.rate)
    result = Engine().run(path)
    assert (result.mode, result.separator, result.diarized) == ("mono", "overlap", True)
    assert any("identical" in note for note in result.notes)
    assert len(result.speaker_timing) == 2


def test_mono_call_without_diarization_is_one_speaker_and_says_so(mono_wav):
    result = Engine(AnalyzeSettings(diarizer="none")).run(mono_wav)
    assert (result.mode, result.separator, result.diarized) == ("mono", "none", False)
    assert list(result.speaker_timing) == ["SPEAKER_1"]
    assert any("diarization not applied" in note for note in result.notes)


def registry_with(separator, *, instead_of: str | None = None):
    """The installed registry plus ``separator``, optionally without one built-in plugin."""
    class Extra:
        @hookimpl
        def register_separators(self, register):
            register(separator)

    pm = get_plugin_manager()
    if instead_of:
        pm.unregister(name=instead_of)
    pm.register(Extra(), name="extra")
    return build_registry(pm)


class NotInstalled(OverlapDiarizer):
    requires = ("hearflow_no_such_module",)


def test_missing_default_diarizer_falls_back_with_the_install_hint():
    engine = Engine(registry=registry_with(NotInstalled, instead_of="overlap"))
    assert engine.diarizer.name == "none"
    assert engine.diarizer_notes == ("the default diarizer 'overlap' is not installed "
                                     "(pip install 'hearflow[diarize]')",)


def test_a_chosen_diarizer_that_is_missing_is_an_error():
    from hearflow.errors import StageUnavailableError

    class NeedsMore(NotInstalled):
        name = "needs-more"

    with pytest.raises(StageUnavailableError, match="hearflow_no_such_module"):
        Engine(AnalyzeSettings(diarizer="needs-more"), registry=registry_with(NeedsMore))


def test_speaker_count_flags_reach_the_diarizer(cli, mono_wav, tmp_path):
    done = cli("analyze", mono_wav, "--num-speakers", "3", "--diarizer-option", "min_off=0.3",
               "--json", "-q", "--analyzer", "none", "--db", tmp_path / "h.db")
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["separator"] == "overlap" and len({t["speaker"] for t in response["turns"]}) == 3


@pytest.mark.parametrize("args, message", [
    (["--diarizer", "none", "--num-speakers", "2"], "num_speakers"),
    (["--min-speakers", "3", "--max-speakers", "2"], "exceeds max_speakers"),
    (["--diarizer-option", "windw=2"], "windw"),
    (["--diarizer-option", "window"], "expected KEY=VALUE"),
])
def test_bad_diarizer_flags_are_coded_errors(cli, mono_wav, tmp_path, args, message):
    done = cli("analyze", mono_wav, *args, "-q", "--db", tmp_path / "h.db")
    assert done.returncode != 0
    assert "error[invalid_options]" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
