"""The cache must hold the official MNIST, not merely agree with its own header; and
docs/data.md shows ``data.source`` as the code writes it."""

import re
from dataclasses import replace
from pathlib import Path

import pytest

from barenet.data import MNIST
from barenet.data.cache import read_cache, write_cache

from ._synthetic import make_raw

DATA_MD = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_a_self_consistent_cache_of_other_data_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    write_cache(make_raw(), path)  # its header records its own (non-MNIST) content hash
    with pytest.raises(
        ValueError, match=f"fails its SHA-256 check.*expected {MNIST.content_sha256}"
    ):
        read_cache(path, MNIST)


def test_the_documented_data_source_is_what_a_cache_reports(tmp_path):
    example = re.search(r'data\.source\s+# e\.g\. "([^"]+)"', DATA_MD.read_text()).group(1)
    cached, built_from = re.fullmatch(r"cache (\S+), built from (.+)", example).groups()
    raw = replace(make_raw(), source=built_from)
    path = tmp_path / "mnist.npz"
    write_cache(raw, path)
    from tests.data._synthetic import catalog_for, write_folder

    catalog = catalog_for(raw, write_folder(tmp_path / "files", raw))
    assert read_cache(path, catalog).source == example.replace(cached, str(path))
