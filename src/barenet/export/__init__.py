"""Export trained networks to other formats: ONNX (``to_onnx``, ``export_file``).

Layering: ``export`` imports ``nn`` and ``io`` (to read model files), never ``train``, so
``Model.to_onnx`` can call it. The ``onnx`` package (extra ``barenet[onnx]``) is imported only
when an export runs: ``import barenet.export`` works without it.
"""

from .onnx import CONVERTERS, OPSET, build, check_with_onnxruntime, export_file, to_onnx

__all__ = ["CONVERTERS", "OPSET", "build", "check_with_onnxruntime", "export_file", "to_onnx"]
