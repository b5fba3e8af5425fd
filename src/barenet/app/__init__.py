"""The application layer: command line, image preprocessing, plots and the web demo.

This layer may use Pillow, matplotlib and the web libraries; the engine (`barenet.nn`) may not.
``preprocess_image`` (a photo or drawing of a digit → the 28×28 MNIST-style input) is
imported on first use, so ``barenet --help`` does not load Pillow and NumPy.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from barenet.app.preprocess import (
        BlankImageError,
        ImageError,
        ImageTooLargeError,
        preprocess_image,
    )

_LAZY = {"preprocess_image", "ImageError", "BlankImageError", "ImageTooLargeError"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from barenet.app import preprocess

        value = getattr(preprocess, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'barenet.app' has no attribute {name!r}")


__all__ = ["BlankImageError", "ImageError", "ImageTooLargeError", "preprocess_image"]
