"""Child processes that die with hearflow: the kernel sends them SIGKILL the moment their parent
dies (the parent-death signal), so not even ``kill -9`` of hearflow leaves one behind."""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Pass as ``preexec_fn`` to ``subprocess.Popen`` (runs in the child, between fork and exec).
    The signal follows the thread that forked: start such children from a long-lived thread."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
