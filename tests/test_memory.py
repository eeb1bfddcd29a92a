"""Process memory: a freed large buffer leaves the resident set once the engine is made."""

from __future__ import annotations

import subprocess
import sys

RETAINED = r"""
import sys
from pathlib import Path

import numpy as np


def rss_mb():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) // 1024


if sys.argv[1] == "engine":
    from hearflow.pipeline.engine import Engine

    Engine()
big = np.ones(24 << 20, np.uint8)  # freed: glibc would now serve blocks up to 24 MB from its heap
del big
before = rss_mb()
piece = np.ones(16 << 20, np.uint8)  # a recogniser piece's buffer, say
later = [bytearray(64) for _ in range(100)]  # small objects made after it
del piece
print(rss_mb() - before)
"""


def _retained_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", RETAINED, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


def test_freed_piece_buffers_leave_the_resident_set():
    # Run alone, glibc's default keeps the freed 16 MB resident (the "plain" probe prints 16); inside
    # the whole suite it sometimes does not, for reasons of the environment, so only the engine's
    # side is asserted: with the engine made, the block leaves the resident set in every process.
    assert max(_retained_mb("engine") for _ in range(3)) <= 2
