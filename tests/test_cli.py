"""The commands a user types, end to end through the Prefect flow and the SQLite store."""

from __future__ import annotations

import json

import srt
import webvtt


def test_analyze_writes_formats_then_show_reads_the_store(cli, converted, tmp_path):
    db, out = tmp_path / "h.db", tmp_path / "out"
    source = converted["mp3", "stereo"]
    done = cli("analyze", source, "--mode", "channel", "--format", "srt", "--format", "vtt", "-o", out,
               "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SPEAKER_1: Thank you for calling")
    assert "SPEAKER_2:" in done.stdout and "Speaker timing:" in done.stdout
    assert "mode channel" in done.stderr and "stored" in done.stderr
    assert len(list(srt.parse((out / "stereo-mp3.srt").read_text()))) > 4
    assert len(webvtt.read(str(out / "stereo-mp3.vtt"))) > 4

    call_id = done.stderr.split("call ", 1)[1].split()[0]
    shown = cli("show", call_id, "--format", "json", "--db", db)
    data = json.loads(shown.stdout)
    assert data["id"] == call_id and data["speakers"] == 2
    assert data["transcript"] == done.stdout.split("\n\nSpeaker timing:")[0]

    again = cli("analyze", source, "--mode", "channel", "--db", db, "-q")
    assert "reused stored result" in again.stderr
    listed = cli("calls", "--db", db)
    assert listed.stdout.count(call_id) == 1
    found = cli("search", "tracking", "--db", db)
    assert call_id in found.stdout and "SPEAKER_2" in found.stdout


def test_show_unknown_call_is_a_coded_error(cli, tmp_path):
    done = cli("show", "nope", "--db", tmp_path / "h.db")
    assert done.returncode == 1 and "error[not_found]" in done.stderr


def test_help_teaches(cli):
    done = cli("analyze", "--help")
    assert done.returncode == 0
    for text in ("--mode", "--format", "--language", "--model", "Examples:"):
        assert text in done.stdout
