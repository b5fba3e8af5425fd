"""barenet: a neural-network library written from scratch in NumPy.

The engine is ``barenet.nn``; the most used names are re-exported here::

    import barenet
    model = barenet.Sequential.from_sizes([784, 30, 10])
    net = barenet.Network([784, 30, 10])          # seed 000's column-vector API
"""

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

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Activation",
    "Adam",
    "Dense",
    "Dropout",
    "GradcheckResult",
    "Layer",
    "Loss",
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
]
