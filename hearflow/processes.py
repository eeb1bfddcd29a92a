"""Child processes that never outlive hearflow."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """In a child (after fork): have the kernel SIGKILL it the moment its parent dies, ``kill -9``
    included. Linux only; elsewhere a no-op (the child then ends when its work or pipe does)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
