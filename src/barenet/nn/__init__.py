"""The engine: a feed-forward neural network in NumPy and nothing else.

Read it in this order: ``parameter`` → ``init`` → ``activations`` → ``losses`` → ``layers``
→ ``network`` (backprop) → ``optim`` → ``schedules``; ``gradcheck`` proves the gradients
and ``nielsen`` is seed 000's column-vector API over the same engine.
"""

from .activations import ACTIVATIONS, ActivationFunction, get_activation, sigmoid, softmax
from .gradcheck import GradcheckResult, gradcheck
from .init import INITIALIZERS, Initializer, get_initializer
from .layers import Activation, Dense, Dropout, Layer
from .losses import LOSSES, Loss, get_loss
from .network import Sequential
from .nielsen import Network
from .optim import OPTIMIZERS, SGD, Adam, Optimizer, RMSProp, get_optimizer
from .parameter import Parameter
from .schedules import SCHEDULES, Schedule, get_schedule

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "Activation",
    "ActivationFunction",
    "Adam",
    "Dense",
    "Dropout",
    "GradcheckResult",
    "Initializer",
    "Layer",
    "Loss",
    "Network",
    "Optimizer",
    "Parameter",
    "RMSProp",
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
