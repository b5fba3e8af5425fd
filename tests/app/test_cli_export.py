"""`barenet export`: a trained MNIST model as an ONNX file that onnxruntime runs to the same
probabilities on all 10,000 test digits; user mistakes are one line and exit status 1."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx
import onnxruntime as ort

from barenet.app.cli import main


def run(capsys, *args):
    code = main(["export", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.mnist
def test_exported_mlp_matches_barenet_on_the_10000_test_digits(trained, tmp_path, capsys):
    out = tmp_path / "digits.onnx"
    code, printed, err = run(capsys, trained.path, out, "--verify")
    assert code == 0, err
    assert f"wrote {out}" in printed and "same class 100%" in printed
    proto = onnx.load(out)
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["source"] == trained.path.name
    props = {k: json.loads(v) for k, v in props.items() if k not in ("source", "barenet_version")}
    assert props["class_names"] == [str(d) for d in range(10)]
    assert props["input"] == {"shape": [784], "range": [0, 1], "preprocessing": "mnist"}

    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = trained.test_x.astype(np.float32)
    assert x.shape == (10_000, 784) and x.min() >= 0 and x.max() <= 1
    theirs = session.run(["probabilities"], {"input": x})[0]
    ours = trained.model.predict_proba(x)
    assert np.max(np.abs(theirs - ours)) < 1e-5
    np.testing.assert_array_equal(np.argmax(theirs, axis=1), np.argmax(ours, axis=1))
    assert np.mean(np.argmax(theirs, axis=1) == trained.test_y) > 0.9


def test_user_mistakes_are_one_line(untrained, tmp_path, capsys):
    path, _ = untrained
    cases = {
        "missing.npz does not exist": (tmp_path / "missing.npz", tmp_path / "m.onnx"),
        "is a directory": (path, tmp_path),
        "does not exist": (path, tmp_path / "nowhere" / "m.onnx"),
        "would overwrite the model file": (path, path),
    }
    not_a_model = tmp_path / "plain.npz"
    np.savez(not_a_model, x=np.zeros(3))
    cases["not a barenet"] = (not_a_model, tmp_path / "m.onnx")
    for expected, (model, out) in cases.items():
        code, printed, err = run(capsys, model, out)
        assert code == 1 and printed == "", expected
        assert err.startswith("barenet: error: ") and err.count("\n") == 1, err
        assert expected in err.lower(), (expected, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.npz"]  # nothing half-written


@pytest.mark.mnist
def test_exported_cnn_matches_barenet_on_the_10000_test_digits(mnist, tmp_path, capsys):
    import barenet

    spec = [
        {"type": "conv2d", "out": 8, "kernel": 5, "activation": "relu"},
        {"type": "batchnorm"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "out": 10, "activation": "softmax"},
    ]
    model = barenet.Model.from_spec(spec, input_shape=(28, 28, 1), seed=0)
    # Random weights: probabilities close together make the same-argmax check harder.
    model.save(tmp_path / "cnn.npz", class_names=[str(d) for d in range(10)])
    code, _, err = run(capsys, tmp_path / "cnn.npz", tmp_path / "cnn.onnx")
    assert code == 0, err
    session = ort.InferenceSession(str(tmp_path / "cnn.onnx"), providers=["CPUExecutionProvider"])
    x = mnist.test.x.astype(np.float32)
    theirs = session.run(["probabilities"], {"input": x})[0]
    ours = model.predict_proba(x)
    assert np.max(np.abs(theirs - ours)) < 1e-5
    np.testing.assert_array_equal(np.argmax(theirs, axis=1), np.argmax(ours, axis=1))
