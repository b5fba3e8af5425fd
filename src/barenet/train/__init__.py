"""Training: the fit loop, callbacks, metrics, history, recipes and run directories.

Layering: ``train`` imports ``nn``, ``data`` and ``io``; only ``app`` imports ``train``.
"""

from .callbacks import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    TerminateOnNaN,
    TrainingDiverged,
)
from .history import History
from .metrics import Evaluation, accuracy, confusion_matrix
from .model import Model, load
from .recipe import Recipe, list_recipes
from .run import RunResult, read_metrics, resume_training, run_training
from .trainer import Trainer

__all__ = [
    "Callback",
    "EarlyStopping",
    "Evaluation",
    "History",
    "LearningRateScheduler",
    "Model",
    "ModelCheckpoint",
    "ProgressBar",
    "Recipe",
    "RunResult",
    "TerminateOnNaN",
    "Trainer",
    "TrainingDiverged",
    "accuracy",
    "confusion_matrix",
    "list_recipes",
    "load",
    "read_metrics",
    "resume_training",
    "run_training",
]
