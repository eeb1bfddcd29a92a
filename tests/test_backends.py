"""The NeMo and pyannote.audio diarizers, end to end through the CLI of their own venvs.

Each backend pins packages the main venv cannot share, so ``.ci/setup --test`` builds
``.venv-nemo`` and ``.venv-pyannote`` with hearflow installed in each. The models are built here
with random weights: their turns mean nothing, but the real loading, hint passing and adapter
code runs on real audio, offline.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
BUILDERS = Path(__file__).resolve().parent / "backend_models"


def backend_python(name: str) -> Path:
    python = ROOT / f".venv-{name}" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: `bash .ci/setup --test` builds the {name} venv")
    return python


def build(name: str, builder: str, out: Path) -> Path:
    done = subprocess.run([str(backend_python(name)), str(BUILDERS / builder), str(out)],
                          capture_output=True, text=True, timeout=600, env={"HF_HUB_OFFLINE": "1", "PATH": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def analyze_with(name: str, recording: Path, db: Path, *args) -> dict:
    done = run_cli("analyze", recording, "--diarizer", name, *args, "--json", "-q", "--analyzer", "none",
                   "--db", db, python=backend_python(name), env={"HF_HUB_OFFLINE": "1"}, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def assert_diarized_shape(response: dict, separator: str, speakers: int) -> None:
    assert (response["separator"], response["mode"], response["diarized"]) == (separator, "mono", True)
    words = [word for segment in response["segments"] for word in segment["words"]]
    assert words and all(segment["speaker"] == word["speaker"]
                         for segment in response["segments"] for word in segment["words"])
    # The count hint was honoured: the words went to exactly that many speakers.
    named = {f"SPEAKER_{n}" for n in range(1, speakers + 1)}
    assert {word["speaker"] for word in words} == named and set(response["speaker_timing"]) == named
    assert named <= {turn["speaker"] for turn in response["turns"]}
    assert all(turn["end"] > turn["start"] for turn in response["turns"])


@pytest.fixture(scope="module")
def nemo_model(tmp_path_factory) -> Path:
    return build("nemo", "nemo_speaker_model.py", tmp_path_factory.mktemp("nemo") / "speaker.nemo")


@pytest.mark.parametrize("speakers", [2, 3])
def test_nemo_diarizer_from_a_local_model(nemo_model, mono_wav, tmp_path, speakers):
    response = analyze_with("nemo", mono_wav, tmp_path / "h.db", "--diarizer-option", f"model={nemo_model}",
                            "--num-speakers", str(speakers))
    assert_diarized_shape(response, "nemo", speakers)
    assert response["notes"] == []


def test_nemo_rejects_a_missing_model_and_min_speakers(mono_wav, tmp_path):
    python = backend_python("nemo")
    missing = run_cli("analyze", mono_wav, "--diarizer", "nemo", "--diarizer-option", "model=/no/such.nemo",
                      "-q", "--db", tmp_path / "h.db", python=python)
    assert missing.returncode != 0 and "error[model_unavailable]" in missing.stderr
    assert "/no/such.nemo does not exist" in missing.stderr and "Traceback" not in missing.stderr
    minimum = run_cli("analyze", mono_wav, "--diarizer", "nemo", "--min-speakers", "2", "-q",
                      "--db", tmp_path / "h.db", python=python)
    assert minimum.returncode != 0 and "error[invalid_options]" in minimum.stderr
    assert "not min_speakers" in minimum.stderr


def test_backends_are_listed_with_their_install_hints(cli):
    listed = {row["name"]: row for row in json.loads(cli("plugins", "--json").stdout) if row["kind"] == "separator"}
    assert listed["embedded"]["usable"]
    for name in ("nemo", "pyannote"):  # not in the main venv: their pins clash with it
        assert not listed[name]["usable"]
        assert listed[name]["install"].startswith(f"pip install 'hearflow[{name}]'")
    in_own_venv = run_cli("plugins", "--json", python=backend_python("nemo"))
    assert {row["name"]: row["usable"] for row in json.loads(in_own_venv.stdout)}["nemo"] is True


@pytest.fixture(scope="module")
def pyannote_pipeline(tmp_path_factory) -> Path:
    return build("pyannote", "pyannote_pipeline.py", tmp_path_factory.mktemp("pyannote") / "diarization")


@pytest.mark.parametrize("hint, speakers", [(("--num-speakers", "2"), 2), (("--max-speakers", "1"), 1)])
def test_pyannote_pipeline_from_a_local_directory(pyannote_pipeline, mono_wav, tmp_path, hint, speakers):
    response = analyze_with("pyannote", mono_wav, tmp_path / "h.db",
                            "--diarizer-option", f"pipeline={pyannote_pipeline}", *hint)
    assert_diarized_shape(response, "pyannote", speakers)


def test_pyannote_rejects_a_missing_pipeline(mono_wav, tmp_path):
    done = run_cli("analyze", mono_wav, "--diarizer", "pyannote", "--diarizer-option", "pipeline=./no-such-dir",
                   "-q", "--db", tmp_path / "h.db", python=backend_python("pyannote"))
    assert done.returncode != 0 and "error[model_unavailable]" in done.stderr
    assert "no-such-dir does not exist" in done.stderr and "Traceback" not in done.stderr
