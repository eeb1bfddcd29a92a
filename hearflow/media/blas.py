"""One BLAS thread for each thread that calls BLAS.

hearflow runs stages side by side in threads (a mono call's diarizer beside its recogniser, two
calls of an archive at once), so the parallelism is the pipeline's own. OpenBLAS's thread pool
is not safe to enter from two threads at once: seen here, the overlap diarizer's filterbank
product spun in OpenBLAS's ``exec_blas`` for minutes while another thread used BLAS. With one
thread OpenBLAS never enters its pool.
"""

from __future__ import annotations

import os

_ENV = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")  # not OMP_NUM_THREADS: the recogniser uses OpenMP


_done = False


def single_threaded_blas() -> None:
    """Limit the BLAS libraries already loaded, and (through the environment they read when they
    load) those loaded later, such as SciPy's. Once per process: every engine calls it, and the
    limit, like the environment, lasts."""
    global _done
    if _done:
        return
    _done = True
    for name in _ENV:
        os.environ[name] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
