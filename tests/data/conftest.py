"""Every data test runs offline against its own empty cache, unless marked ``mnist``."""

from __future__ import annotations

import pytest

from ._synthetic import Server, catalog_for, make_raw, write_folder


@pytest.fixture(autouse=True)
def _isolated(request, tmp_path, monkeypatch):
    """No test reaches the real mirrors, the package index or the user's cache by accident."""
    if request.node.get_closest_marker("mnist"):
        return
    monkeypatch.setenv("BARENET_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("BARENET_MNIST_MIRRORS", "none")
    monkeypatch.setenv("BARENET_MNIST_PIP", "0")
    monkeypatch.delenv("BARENET_TIMEOUT", raising=False)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def synthetic(tmp_path):
    """A small data set as four IDX ``.gz`` files, and a catalog that trusts exactly them."""
    raw = make_raw()
    files = write_folder(tmp_path / "files", raw)
    return raw, files, catalog_for(raw, files)
