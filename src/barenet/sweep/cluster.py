"""Where trials run: a Dask cluster, local by default or any running one by address.

``open_client()`` starts a ``LocalCluster`` on this machine, one single-threaded worker
process per core (barenet trains with one BLAS thread, so a core per trial is what keeps
every core busy without oversubscribing), and stops it on exit. ``open_client(address)``
connects to a running scheduler (``dask scheduler`` with ``dask worker``s, or any Dask
deployment) and leaves it running.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from barenet.errors import BarenetError


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise BarenetError(
            "barenet sweep runs on Dask: install it with pip install 'barenet[sweep]'"
        ) from None
    return distributed


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def local_worker_environment() -> Any:
    """Dask's settings for the worker processes this module starts: its defaults, except that
    glibc's allocator keeps its own trim threshold.

    Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``, to hand freed
    memory back to the system sooner. Setting that threshold at all turns off glibc's
    adaptive mmap threshold, so every temporary array above 128 KiB is mapped and unmapped
    again, page-faulted and zeroed on each use: a conv net's training step took 19% more CPU
    (6 times the system time) that way, and on a busy machine far longer. A trial frees its
    memory when it ends, which is all the trimming it needs."""
    import dask

    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


@contextmanager
def open_client(
    scheduler: str | None = None, workers: int | None = None, *, timeout: float = 30
) -> Iterator[Any]:
    """A ``distributed.Client``: to the scheduler at ``scheduler`` (``tcp://host:8786``), or
    to a local cluster of ``workers`` single-threaded processes (default: one per core)."""
    distributed = _distributed()
    if scheduler is not None:
        if workers is not None:
            raise BarenetError(
                "--workers sizes the local cluster; with --scheduler, start as many "
                "`dask worker` processes as you want instead"
            )
        try:
            client = distributed.Client(scheduler, timeout=timeout)
        except OSError as exc:
            raise BarenetError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    n = workers or default_workers()
    with local_worker_environment():
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # A free port each time: several sweeps (or users) on one machine never collide.
            dashboard_address="127.0.0.1:0",
            # Stopping a cluster of busy workers logs connection errors that mean nothing to a
            # user; what does mean something (a task that cannot be loaded) is logged CRITICAL.
            silence_logs=logging.CRITICAL,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


def dashboard_link(client: Any) -> str | None:
    """The Dask dashboard's address, when the scheduler serves one (it needs bokeh)."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return None
    return str(client.dashboard_link)


def running_trials(client: Any) -> int:
    """How many tasks workers are executing now (assigned beyond a worker's threads wait)."""
    threads = client.nthreads()
    return sum(min(len(keys), threads.get(w, 1)) for w, keys in client.processing().items())
