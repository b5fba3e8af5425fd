"""File formats: model files and checkpoints, each an ``.npz`` archive (read with
``allow_pickle=False``) holding the arrays plus a JSON header. Never pickle.

Layering: ``io`` imports ``nn`` only; ``train`` and ``app`` import ``io``.
"""

from barenet._files import atomic_write

from .checkpoint import CHECKPOINT_FORMAT, Checkpoint, read_checkpoint, write_checkpoint
from .container import FormatError, read_container, write_container
from .model import (
    MODEL_FORMAT,
    InputContract,
    input_contract,
    read_model,
    read_model_header,
    write_model,
)

__all__ = [
    "CHECKPOINT_FORMAT",
    "MODEL_FORMAT",
    "Checkpoint",
    "FormatError",
    "InputContract",
    "atomic_write",
    "input_contract",
    "read_checkpoint",
    "read_container",
    "read_model",
    "read_model_header",
    "write_checkpoint",
    "write_container",
    "write_model",
]
