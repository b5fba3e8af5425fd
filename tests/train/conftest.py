import pytest

from ._synthetic import blobs


@pytest.fixture
def data():
    return blobs()
