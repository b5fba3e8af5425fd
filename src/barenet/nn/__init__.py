"""The engine: a feed-forward neural network in NumPy and nothing else.

Read it in this order: ``parameter`` → ``init`` → ``activations`` → ``losses`` → ``layers``
→ ``network`` (backprop) → ``optim`` → ``schedules``; then the image layers ``conv``,
``pooling``, ``shape`` and ``normalization``; ``gradcheck`` proves the gradients and
``nielsen`` is seed 000's column-vector API over the same engine.
"""

from .activations import ACTIVATIONS, ActivationFunction, get_activation, sigmoid, softmax
from .conv import Conv2D
from .gradcheck import GradcheckResult, gradcheck
from .init import INITIALIZERS, Initializer, get_initializer
from .layers import LAYERS, Activation, Dense, Dropout, Layer
from .losses import LOSSES, Loss, get_loss
from .network import Sequential
from .nielsen import Network
from .normalization import BatchNorm
from .optim import OPTIMIZERS, SGD, Adam, Optimizer, RMSProp, get_optimizer
from .parameter import Parameter
from .pooling import AvgPool2D, MaxPool2D
from .schedules import SCHEDULES, Schedule, get_schedule
from .shape import Flatten, Reshape

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LAYERS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Activation",
    "ActivationFunction",
    "Adam",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GradcheckResult",
    "Initializer",
    "Layer",
    "Loss",
    "MaxPool2D",
    "Network",
    "Optimizer",
    "Parameter",
    "RMSProp",
    "Reshape",
    "Schedule",
    "Sequential",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "gradcheck",
    "sigmoid",
    "softmax",
]
