"""Job workers as child processes of the API server, one engine each.

Threads in the server process would share its interpreter lock with request handling: while
the server serialises a page of results, a transcribing thread waits for the lock each time the
ASR engine hands back control, and jobs ran several times slower under polling. Processes keep
the two apart. Each child claims jobs from the store like any server instance would, so a
crash of either side loses nothing: the store says which jobs a dead process held.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from hearflow.http.settings import ApiSettings
from hearflow.media.children import die_with_parent

READY = "ready"


class WorkerProcesses:
    """``settings.workers`` children, started from the server's main thread (the parent-death
    signal follows the thread that forked) and ready once each has loaded its model."""

    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.children: list[subprocess.Popen] = []

    def spawn(self) -> None:
        child_settings = self.settings.model_copy(update={"workers": 1}).model_dump_json()
        for _ in range(self.settings.workers):
            self.children.append(subprocess.Popen(
                [sys.executable, "-m", "hearflow.http.worker_process"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent))
            self.children[-1].stdin.write(child_settings + "\n")
            self.children[-1].stdin.flush()

    def wait_ready(self) -> None:
        for child in self.children:
            line = child.stdout.readline().strip()
            if line != READY:
                self.stop()
                raise RuntimeError(f"a job worker did not start (exit code {child.poll()}); see its log above")

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.stdin.close()  # end of input: the child finishes its job and leaves
        for child in self.children:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()


def main() -> None:
    from hearflow.http.database import Database
    from hearflow.http.outbound import OutboundPolicy
    from hearflow.http.server import configure_logging
    from hearflow.http.workers import WorkerPool

    settings = ApiSettings.model_validate_json(sys.stdin.readline())
    configure_logging()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the server stops its workers through stdin
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pool = WorkerPool(settings, Database(settings.db_path), OutboundPolicy(settings.allow_outbound))
    pool.start()
    print(READY, flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing else may fill the pipe
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    pool.stop()


if __name__ == "__main__":
    main()
