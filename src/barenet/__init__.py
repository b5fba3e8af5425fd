"""barenet: a neural-network library written from scratch in NumPy.

The engine is ``barenet.nn``; the most used names are re-exported here::

    import barenet
    model = barenet.Model.from_sizes([784, 128, 10], activation="relu",
                                     output_activation="softmax")
    net = barenet.Network([784, 30, 10])          # seed 000's column-vector API

Names from the training layer (``Model``, ``load``, ``load_mnist``, ...) are imported on first
use, so ``import barenet.nn`` pulls in NumPy and nothing else.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from barenet._version import __version__
from barenet.errors import BarenetError
from barenet.nn import (
    SGD,
    Activation,
    Adam,
    Dense,
    Dropout,
    GradcheckResult,
    Layer,
    Loss,
    Network,
    Optimizer,
    Parameter,
    RMSProp,
    Sequential,
    get_activation,
    get_initializer,
    get_loss,
    get_optimizer,
    get_schedule,
    gradcheck,
)

if _TYPE_CHECKING:
    from barenet.data import load_mnist, one_hot
    from barenet.train import EarlyStopping, History, Model, ModelCheckpoint, load

_LAZY = {
    "Model": "barenet.train",
    "load": "barenet.train",
    "History": "barenet.train",
    "EarlyStopping": "barenet.train",
    "ModelCheckpoint": "barenet.train",
    "load_mnist": "barenet.data",
    "one_hot": "barenet.data",
}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'barenet' has no attribute {name!r}")


__all__ = [
    "SGD",
    "Activation",
    "Adam",
    "BarenetError",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "GradcheckResult",
    "History",
    "Layer",
    "Loss",
    "Model",
    "ModelCheckpoint",
    "Network",
    "Optimizer",
    "Parameter",
    "RMSProp",
    "Sequential",
    "__version__",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "gradcheck",
    "load",
    "load_mnist",
    "one_hot",
]


def __dir__() -> list[str]:
    """The public API (``__all__``, including the names imported on first use)."""
    return sorted(__all__)
