"""How many BLAS threads the matrix products use, set in one place for every way to train.

``barenet train`` (``--threads``), ``Model.fit`` and a sweep's workers all train inside
``limit_threads(n)``. barenet's networks are small: one thread is as fast on a quiet machine
for most of them, much faster on a busy one (no threads fighting over cores), and gives the
same bits on any machine. So the default is ``$BARENET_THREADS``, else 1; ``0`` leaves
NumPy's BLAS at its own default (one thread per core).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from barenet.errors import BarenetError

ENV = "BARENET_THREADS"


def thread_count(threads: int | None = None) -> int:
    """``threads`` if given, else ``$BARENET_THREADS``, else 1. A bad environment value is a
    ``BarenetError`` that names the variable."""
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise BarenetError(f"threads must be an integer >= 0, got {threads!r}")
        return threads
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 1
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise BarenetError(
            f"{ENV} must be a number of threads >= 0 (0 = one per core), got {text!r}"
        )
    return value


@contextmanager
def limit_threads(threads: int | None = None) -> Iterator[int]:
    """Run the body with the BLAS thread pool capped at ``thread_count(threads)`` threads,
    restoring the previous limit afterwards. Yields the count (0: not capped)."""
    n = thread_count(threads)
    if n == 0:
        yield n
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield n
