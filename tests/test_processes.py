"""No process outlives hearflow unless asked for: the temporary Prefect server that the prefect
runner starts (when no server is configured) dies with hearflow, kill -9 included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from process_table import alive

SERVER_MARK = "prefect.server.api.server:create_app"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and SERVER_MARK in cmdline:
            found.append(int(entry.name))
    return found




def test_temporary_server_dies_with_a_killed_hearflow(tmp_path, stereo_wav):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hearflow")), "analyze", str(stereo_wav), "--runner", "prefect",
         "--no-reuse", "--db", str(tmp_path / "h.db"), "-q"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        servers = []
        while not servers and time.monotonic() < deadline and process.poll() is None:
            servers = _children(process.pid)
            time.sleep(0.2)
        assert servers, "the prefect runner started no temporary server"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in servers), "the temporary server outlived hearflow"
    finally:
        if process.poll() is None:
            process.kill()


def test_inprocess_runs_start_no_server(tmp_path, stereo_wav):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hearflow")), "analyze", str(stereo_wav), "--no-reuse",
         "--db", str(tmp_path / "h.db"), "-q", "--analyzer", "offline"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    while process.poll() is None:
        seen += _children(process.pid)
        time.sleep(0.2)
    assert process.returncode == 0, process.stderr.read()
    assert seen == [] and not (tmp_path / "prefect").exists()  # Prefect was not even imported
