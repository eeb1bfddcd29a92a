"""A real ``hearflow api`` process on 127.0.0.1 for tests, and short test calls for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SIGNING_SECRET = "test-url-signing-secret"
WEBHOOK_SECRET = "test-webhook-secret"
SHORT_CALL = (
    ("SPEAKER_1", "Thank you for calling Northwind support. How can I help?"),
    ("SPEAKER_2", "Hi, my laptop order has not arrived yet."),
    ("SPEAKER_1", "I am sorry. It will arrive on Friday."),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiServer:
    """``hearflow api`` as a child process; ``start()`` returns once /healthz answers."""

    def __init__(self, folder: Path, *args: str, env: dict | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = self.folder / "api.db"
        self.data_dir = self.folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.env = {**os.environ, "HEARFLOW_API_SIGNING_SECRET": SIGNING_SECRET,
                    "HEARFLOW_WEBHOOK_SECRET": WEBHOOK_SECRET, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.log = self.folder / "server.log"

    def start(self, timeout: float = 180) -> "ApiServer":
        command = [str(Path(sys.executable).with_name("hearflow")), "api", "--port", str(self.port),
                   "--db", str(self.db), "--data-dir", str(self.data_dir), *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log.open("ab"), env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hearflow api exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError(f"hearflow api did not become ready: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def key(self, *scopes: str, **options) -> tuple[str, str]:
        """(key id, secret), made in the server's store as `hearflow keys create` makes them."""
        from hearflow.http.database import Database
        from hearflow.http.keys import create_key

        key, secret = create_key(Database(self.db), scopes=scopes or ("hear:transcribe", "transcribe:jobs"),
                                 **options)
        return key.id, secret

    def client(self, secret: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 300), **kwargs)

    def access_lines(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith("{")]


def wait_for_job(client: httpx.Client, job_id: str, *, until=("completed", "failed", "cancelled"),
                 timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/transcription/jobs/{job_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
