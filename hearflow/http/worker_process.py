"""The job worker as a child process of the API server.

Threads in the server process would share its interpreter lock with request handling: while
the server serialises a page of results, a transcribing thread waits for the lock each time the
ASR engine hands back control, and jobs ran several times slower under polling. A child keeps
the two apart; inside it, ``--workers`` threads compute calls as an archive does (one model in
memory, see workers). The child claims jobs from the store like any server instance would, so a
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
    """The worker child (none with ``workers=0``: this server only queues), started from the
    server's main thread (the parent-death signal follows the thread that forked) and ready
    once it has loaded its model."""

    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.children: list[subprocess.Popen] = []

    def spawn(self) -> None:
        if not self.settings.workers:
            return
        child = subprocess.Popen([sys.executable, "-m", "hearflow.http.worker_process"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        child.stdin.write(self.settings.model_dump_json() + "\n")
        child.stdin.flush()
        self.children.append(child)

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
    from hearflow.errors import HearflowError
    from hearflow.http.database import Database
    from hearflow.http.outbound import OutboundPolicy
    from hearflow.http.server import configure_logging
    from hearflow.http.workers import WorkerPool

    settings = ApiSettings.model_validate_json(sys.stdin.readline())
    configure_logging()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the server stops its workers through stdin
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = WorkerPool(settings, Database(settings.db_path), OutboundPolicy(settings.allow_outbound),
                          remote=work_pool_jobs(settings) if settings.prefect else None)
        pool.start()
    except HearflowError as exc:  # the server's start fails with this line in its log
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(READY, flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing else may fill the pipe
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    pool.stop()


def work_pool_jobs(settings: ApiSettings):
    """The prefect runner's hand-over of jobs to ``settings.work_pool`` (asked by name, as every
    interface asks for a runner)."""
    from hearflow.errors import StageUnavailableError
    from hearflow.pipeline.runners import choose_runner
    from hearflow.plugins.manager import build_registry

    jobs = choose_runner(build_registry(), "prefect").work_pool_jobs(settings.work_pool)
    if jobs is None:
        raise StageUnavailableError("the prefect runner cannot hand jobs to a work pool")
    return jobs


if __name__ == "__main__":
    main()
