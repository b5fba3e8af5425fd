"""Fixtures for the whole suite: the real MNIST, downloaded at most once per test run.

Every real-MNIST test (``@pytest.mark.mnist``) asks for ``mnist_cache`` or ``mnist``: they point
``$BARENET_DATA`` (inherited by any ``barenet`` process a test starts) at one shared cache
outside the working tree, ``$BARENET_TEST_DATA`` or ``$XDG_CACHE_HOME/barenet-tests`` (else
``~/.cache/barenet-tests``), and fill it through the public sources the first time. Tests
that need a fresh cache use a tmp dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "barenet-tests"
)


@pytest.fixture(scope="session")
def mnist_cache():
    """The shared cache directory, verified (or filled) once, set as ``$BARENET_DATA``."""
    from barenet.data import get_raw

    directory = Path(os.environ.get("BARENET_TEST_DATA") or SHARED_CACHE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BARENET_DATA", str(directory))
        get_raw()
        yield directory


@pytest.fixture(scope="session")
def mnist(mnist_cache):
    """The official split of the real MNIST (``MNISTData``), loaded once per session."""
    from barenet.data import load_mnist

    return load_mnist()
