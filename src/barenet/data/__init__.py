"""The data layer: real MNIST (download, verify, cache), the IDX format, splits and batches.

from barenet.data import load_mnist, one_hot, Batches
data = load_mnist(split="validation")        # data.train / .validation / .test / .source
for xb, yb in Batches(data.train.x, data.train.y, 64, rng=np.random.default_rng(0)): ...
"""

from .batches import Batches, one_hot
from .cache import cache_dir, cache_path
from .checksums import MNIST, Catalog, KnownFile, sha256_file
from .idx import parse_idx, read_idx
from .mnist import (
    MNISTNotFoundError,
    check_official,
    get_raw,
    import_to_cache,
    load_mnist,
    read_path,
)
from .raw import RawData
from .splits import SPLITS, MNISTData, Split

__all__ = [
    "MNIST",
    "SPLITS",
    "Batches",
    "Catalog",
    "KnownFile",
    "MNISTData",
    "MNISTNotFoundError",
    "RawData",
    "Split",
    "cache_dir",
    "cache_path",
    "check_official",
    "get_raw",
    "import_to_cache",
    "load_mnist",
    "one_hot",
    "parse_idx",
    "read_idx",
    "read_path",
    "sha256_file",
]
