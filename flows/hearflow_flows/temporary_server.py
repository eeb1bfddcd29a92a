"""A Prefect server for one command, when the user asked for the prefect runner without one.

Prefect's own temporary server can outlive a killed parent. This one is a child that gets
SIGKILL from the kernel the moment the hearflow process dies (the parent-death signal), so
not even ``kill -9`` of hearflow leaves it behind; on a normal exit it is stopped at once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request

from hearflow import StageUnavailableError
from hearflow.media.children import die_with_parent

START_TIMEOUT = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def temporary_server():
    """Start a server on a free loopback port, point this process's Prefect client at it."""
    import prefect

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
         "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "error", "--lifespan", "on"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    try:
        _wait_healthy(server, api)
        previous = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = api
        try:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings({PREFECT_API_URL: api}):
                yield api
        finally:
            if previous is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = previous
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_healthy(server: subprocess.Popen, api: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StageUnavailableError(f"the temporary Prefect server exited with code {server.returncode}",
                                        hint="start one with `prefect server start` and set PREFECT_API_URL")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise StageUnavailableError(f"the temporary Prefect server did not start within {START_TIMEOUT:.0f} s",
                                hint="start one with `prefect server start` and set PREFECT_API_URL")
