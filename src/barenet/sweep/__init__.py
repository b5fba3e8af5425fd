"""Sweeps: search over recipes and seeds on a Dask cluster (``barenet sweep SPEC.toml``).

Layering: ``sweep`` sits above ``train`` (a trial is an ordinary training run) and below
``app``. A trial is a pure function of plain data (``trial.run_trial``), so it runs on any Dask
worker, local or remote; the client writes the run directories.

- ``spec``: the sweep spec (base recipe, seeds, ``[grid]``, ``[random]``, ``[search]``);
- ``cluster``: a local cluster or a running scheduler;
- ``runner``: submit trials, write their run directories, skip finished ones on a rerun;
- ``search``: grid / random, and successive halving;
- ``results`` and ``plots``: ``sweep.csv``, ``summary.md``, ``plots/``, ``best.toml``.
"""

from .cluster import open_client
from .runner import Job, Runner
from .search import SweepResult, run_sweep
from .spec import SweepSpec, load_spec, parse_spec
from .trial import run_trial

__all__ = [
    "Job",
    "Runner",
    "SweepResult",
    "SweepSpec",
    "load_spec",
    "open_client",
    "parse_spec",
    "run_sweep",
    "run_trial",
]
