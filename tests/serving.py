"""A long-running hearflow command (``serve``) in the background for the tests, stopped with
Ctrl-C as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def hearflow_running(*args, log: Path):
    """Run ``hearflow ARGS`` (output to ``log``) for the duration of the block."""
    with open(log, "wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("hearflow")), *map(str, args)],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
