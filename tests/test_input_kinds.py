"""Inputs are opened with a bound on kind and time: a FIFO, a socket or a device is refused before
any read, and a decoder that hangs on a file is killed, coded, and the run goes on."""

from __future__ import annotations

import os
import socket
import textwrap
import time
from pathlib import Path

import pytest

from hearflow.errors import InputError
from hearflow.media.audiofile import fingerprint, inspect
from hearflow.pipeline.engine import Engine
from hearflow.settings import AnalyzeSettings
from process_table import alive

# A decoder that spins in a busy loop, holding the GIL (no thread watchdog could stop it), on
# files named hang-*; on any other file it steps aside so the built-in decoders run.
SPINNING_DECODER = textwrap.dedent('''
    from hearflow import Decoder, InputError, hookimpl

    class SpinningDecoder(Decoder):
        name = "spinning-test"
        formats = frozenset({"wav"})

        def decode(self, path, *, format, sha256, size_bytes):
            if not str(path).rsplit("/", 1)[-1].startswith("hang-"):
                raise InputError("not mine", code="corrupt_audio")
            while True:
                pass

    @hookimpl
    def register_decoders(register):
        register(SpinningDecoder)
''')


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "call.wav"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("read", [inspect, fingerprint])
def test_a_fifo_is_refused_without_blocking(fifo, read):
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        read(fifo)
    assert caught.value.code == "not_a_regular_file" and "named pipe" in caught.value.message
    assert time.monotonic() - started < 1.0  # no writer ever opens it: a blocking open would hang


def test_a_socket_and_a_device_are_refused(tmp_path):
    path = tmp_path / "call.wav"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(InputError) as caught:
            fingerprint(path)
    assert caught.value.code == "not_a_regular_file" and "socket" in caught.value.message
    with pytest.raises(InputError) as caught:
        fingerprint("/dev/zero")  # endless bytes: hashing it would never finish
    assert caught.value.code == "not_a_regular_file" and "character device" in caught.value.message


def test_a_symlink_to_a_recording_is_fine(tmp_path, stereo_wav):
    link = tmp_path / "link.wav"
    link.symlink_to(stereo_wav)
    assert fingerprint(link).size_bytes == stereo_wav.stat().st_size


def test_fifo_among_files_fails_alone(cli, fifo, tmp_path, stereo_wav):
    """The FIFO used to hang the command forever; now it is one coded line and the call after it runs."""
    done = cli("analyze", fifo, stereo_wav, "-q", "--analyzer", "none", "--db", tmp_path / "h.db", timeout=300)
    assert done.returncode == 1, done.stderr
    assert "error[not_a_regular_file]" in done.stderr and "Traceback" not in done.stderr
    assert "SPEAKER_2:" in done.stdout and "1 of 2 file(s) failed" in done.stderr


def _install_plugin(directory: Path) -> None:
    (directory / "hearflow_spinning_test.py").write_text(SPINNING_DECODER)
    info = directory / "hearflow_spinning_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hearflow-spinning-test\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hearflow]\nspinning-test = hearflow_spinning_test\n")


def test_a_hanging_decoder_is_killed_and_the_next_file_decodes(tmp_path, monkeypatch, stereo_wav):
    _install_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    hanging = tmp_path / "hang-call.wav"
    hanging.write_bytes(stereo_wav.read_bytes())
    engine = Engine(AnalyzeSettings(decode_timeout=1.5))
    assert engine.decoders_for("wav")[0].name == "spinning-test"
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        engine.decode(engine.fingerprint(hanging))
    waited = time.monotonic() - started
    assert caught.value.code == "decode_timeout" and "spinning-test" in caught.value.message
    assert 1.5 <= waited < 10
    audio = engine.decode(engine.fingerprint(stereo_wav))  # the spinning decoder steps aside
    assert audio.channels == 2 and audio.duration > 5


def test_hanging_file_through_the_command_line(cli, tmp_path, stereo_wav, mono_wav):
    _install_plugin(tmp_path)
    hanging = tmp_path / "hang-call.wav"
    hanging.write_bytes(mono_wav.read_bytes())  # other bytes than the call after it: no cached decode
    config = tmp_path / "hearflow.toml"
    config.write_text("decode_timeout = 2\n")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    done = cli("analyze", hanging, stereo_wav, "-q", "--analyzer", "none", "--config", config,
               "--db", tmp_path / "h.db", env=env, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "error[decode_timeout]" in done.stderr and "Traceback" not in done.stderr
    assert "SPEAKER_2:" in done.stdout and "1 of 2 file(s) failed" in done.stderr
    leftovers = [line for line in os.popen("ps -eo args").read().splitlines() if "spinning" in line]
    assert leftovers == []  # the killed child is gone


HUNG_DECODE = textwrap.dedent('''
    import sys
    sys.path.insert(0, sys.argv[1])
    from hearflow.pipeline.engine import Engine
    from hearflow.settings import AnalyzeSettings

    engine = Engine(AnalyzeSettings(decode_timeout=600))
    engine.decode(engine.fingerprint(sys.argv[2]))
''')


def test_a_hung_decode_dies_with_a_killed_hearflow(tmp_path, mono_wav):
    """kill -9 of the process decoding: its child, spinning in the decoder, goes too."""
    import signal
    import subprocess
    import sys

    _install_plugin(tmp_path)
    hanging = tmp_path / "hang-call.wav"
    hanging.write_bytes(mono_wav.read_bytes())
    parent = subprocess.Popen([sys.executable, "-c", HUNG_DECODE, str(tmp_path), str(hanging)])
    try:
        deadline = time.monotonic() + 120
        while not (children := _children(parent.pid)):
            assert time.monotonic() < deadline and parent.poll() is None, "the decode child never started"
            time.sleep(0.2)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in children), f"decode child {children} outlived its parent"
    finally:
        parent.kill()


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir() if tasks.exists() else ():
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        found += [int(child) for child in children]
    return found


