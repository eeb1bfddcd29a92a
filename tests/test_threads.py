"""Stages run side by side in threads, so BLAS gets one thread of its own per caller."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json
import numpy
from threadpoolctl import threadpool_info

before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
from hearflow.pipeline.engine import Engine

Engine()
import scipy.linalg  # a BLAS loaded after the engine is made

after = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
print(json.dumps({"before": before, "after": after}))
"""


def test_engine_leaves_blas_one_thread_for_libraries_loaded_before_and_after():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"})
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert max(seen["before"]) == 2  # the libraries' own setting, before the engine
    assert len(seen["after"]) >= 2 and set(seen["after"].values()) == {1}
