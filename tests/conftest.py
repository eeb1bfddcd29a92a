"""Session-wide set-up: isolated hearflow and Prefect homes, one Prefect server, test calls."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from media import FORMATS, convert

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="hearflow-tests-"))
_SERVER: subprocess.Popen | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_configure(config):
    """Before any test imports Prefect: private homes, and one server that every run reports to
    (the embedded server would start afresh in every CLI call; the wheel test still uses it)."""
    global _SERVER
    os.environ["HEARFLOW_HOME"] = str(_SESSION_DIR / "hearflow")
    os.environ["PREFECT_HOME"] = str(_SESSION_DIR / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    os.environ.pop("PREFECT_API_URL", None)
    port = _free_port()
    log = open(_SESSION_DIR / "prefect-server.log", "wb")
    _SERVER = subprocess.Popen(
        [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        raise RuntimeError(f"Prefect server did not start; see {_SESSION_DIR / 'prefect-server.log'}")
    os.environ["PREFECT_API_URL"] = api


def pytest_unconfigure(config):
    if _SERVER is not None:
        _SERVER.terminate()
        try:
            _SERVER.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _SERVER.kill()
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_server_log() -> Path:
    """What the session's Prefect server has written so far (its scheduler logs here too)."""
    return _SESSION_DIR / "prefect-server.log"


@pytest.fixture(scope="session")
def call():
    from hearflow.media.synth import build_call

    return build_call()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def stereo_wav(call, media_dir) -> Path:
    from hearflow.media.synth import write_call

    path = media_dir / "support-stereo.wav"
    write_call(call, path, stereo=True)
    return path


@pytest.fixture(scope="session")
def mono_wav(call, media_dir) -> Path:
    from hearflow.media.synth import write_call

    path = media_dir / "support-mono.wav"
    write_call(call, path, stereo=False)
    return path


@pytest.fixture(scope="session")
def converted(stereo_wav, mono_wav, media_dir):
    """(format, layout) → file, for every supported input format, stereo and mono sources."""
    files = {}
    for layout, source in (("stereo", stereo_wav), ("mono", mono_wav)):
        for name, (extension, _, _) in FORMATS.items():
            files[name, layout] = convert(source, media_dir / f"{layout}-{name}.{extension}", name)
    return files


def run_cli(*args, cwd=None, env=None, timeout=600, python=None):
    """Run the installed ``hearflow`` console script (of the venv of ``python``, by default the
    tests' own) and return the completed process."""
    command = [str(Path(python or sys.executable).with_name("hearflow")), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def cli():
    return run_cli
