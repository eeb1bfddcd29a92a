"""Archive list files are UTF-8: a line that is not is one coded failure, the other lines run."""

from __future__ import annotations

import sqlite3

from hearflow.settings import AnalyzeSettings
from hearflow_flows import process_archive
from hearflow.pipeline.sources import BadEntry, expand_sources


def _list(tmp_path, stereo_wav):
    listing = tmp_path / "calls.txt"
    listing.write_bytes(b"\xef\xbb\xbf# calls of the week\n"  # a byte-order mark, then a comment
                        + f"{stereo_wav}\n".encode()
                        + "réunion-été.wav\n".encode("latin-1")  # saved by a latin-1 editor
                        + "café/ü.wav  # UTF-8 names are fine\n".encode())
    return listing


def test_an_undecodable_line_is_one_bad_entry(tmp_path, stereo_wav):
    entries = expand_sources([str(_list(tmp_path, stereo_wav))])
    assert entries[0] == str(stereo_wav)
    bad = entries[1]
    assert isinstance(bad, BadEntry) and bad.source.endswith("calls.txt:3")
    assert bad.error.code == "invalid_list_entry" and "not valid utf-8 (byte 0xe9" in bad.error.message
    assert entries[2] == str(tmp_path / "café" / "ü.wav")


def test_the_archive_runs_the_other_lines(tmp_path, stereo_wav):
    db = tmp_path / "h.db"
    summary = process_archive([str(_list(tmp_path, stereo_wav))], settings=AnalyzeSettings(analyzer="offline"),
                              db_path=str(db))
    assert (summary.found, summary.processed, summary.failed) == (3, 1, 2)
    codes = sorted(f["code"] for f in summary.failures)
    assert codes == ["invalid_list_entry", "unreadable_file"]  # the bad line, and the missing café/ü.wav
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select code, source from failures order by source").fetchall()
    assert ("invalid_list_entry", f"{tmp_path / 'calls.txt'}:3") in stored
