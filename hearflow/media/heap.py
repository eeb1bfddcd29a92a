"""Large buffers straight back to the system when freed.

glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MB), so from
then on the recogniser's and the diarizer's per-piece arrays (STFTs, features, network buffers)
come from the heap, and the heap keeps them resident once they are freed: the resident set grows
by every size of transient the call has seen, and more so when diarization and recognition run
at once. A fixed threshold keeps every block of 8 MiB or more a mapping of its own, returned the
moment it is freed. On a two-minute call, diarization then recognition peaked at 548 MB instead
of 805 MB. The threshold is not lower because each mapped block is faulted in page by page when
written: at 1 MiB, a 2-minute mono call spent 67 CPU seconds against 47 at 8 MiB (the kernel's
page faults, and the recogniser's many mid-sized buffers), with no lower peak.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
THRESHOLD = 8 << 20

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
