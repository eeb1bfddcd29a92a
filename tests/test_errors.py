"""Bad input gets a coded error, a non-zero exit and never a traceback."""

from __future__ import annotations

import os

import pytest


def _make(kind, tmp_path, stereo_wav):
    path = tmp_path / "input.wav"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(os.urandom(8192))
    elif kind == "truncated":
        path.write_bytes(stereo_wav.read_bytes()[:40])
    elif kind == "text":
        path = tmp_path / "notes.txt"
        path.write_text("Call notes: customer asked about pricing.\n")
    elif kind == "too-large":
        path.write_bytes(stereo_wav.read_bytes())
    elif kind == "missing":
        path = tmp_path / "does-not-exist.wav"
    elif kind == "directory":
        path = tmp_path
    return path


CASES = {
    "empty": ("empty_file", []),
    "random": ("not_audio", []),
    "truncated": ("corrupt_audio", []),
    "text": ("not_audio", []),
    "too-large": ("file_too_large", ["--max-size", "0.5"]),
    "missing": ("unreadable_file", []),
    "directory": ("unreadable_file", []),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_input_is_a_coded_error(cli, tmp_path, stereo_wav, kind):
    code, extra = CASES[kind]
    path = _make(kind, tmp_path, stereo_wav)
    done = cli("analyze", path, *extra, "--db", tmp_path / "h.db")
    assert done.returncode == 1, done
    assert f"error[{code}]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_one_bad_file_does_not_stop_the_others(cli, tmp_path, stereo_wav):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00")
    done = cli("analyze", bad, stereo_wav, "-q", "--db", tmp_path / "h.db")
    assert done.returncode == 1
    assert "error[corrupt_audio]" in done.stderr
    assert "SPEAKER_2:" in done.stdout  # the good call still ran
    assert "1 of 2 file(s) failed" in done.stderr


@pytest.mark.parametrize(
    "args, code",
    [
        (["--model", "tiny.en", "--language", "hi-IN"], "language_not_supported"),
        (["--vocabulary", ",".join(f"term{i}" for i in range(60))], "invalid_options"),
        (["--language", "xx-YY"], "unsupported_language"),
        (["--model", "/no/such/model"], "model_unavailable"),
        (["-f", "docx"], "unknown_stage"),
        (["--asr", "nope"], "unknown_stage"),
    ],
)
def test_bad_options_fail_fast(cli, tmp_path, stereo_wav, args, code):
    done = cli("analyze", stereo_wav, *args, "--db", tmp_path / "h.db")
    assert done.returncode == 1
    assert f"error[{code}]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
