"""docs/sklearn.md and docs/onnx.md: every Python example runs as written (no download) and
prints what the page says it prints."""

import re
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("onnxruntime")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.S)


def run(code: str, name: str, capsys, tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)  # examples may write files (digits.onnx)
    exec(compile(code, name, "exec"), {})
    return capsys.readouterr().out


def test_sklearn_doc_examples(capsys, tmp_path, monkeypatch):
    text = (DOCS / "sklearn.md").read_text()
    grid, regression = blocks("sklearn.md")
    out = run(grid, "docs/sklearn.md grid search", capsys, tmp_path, monkeypatch)
    accuracy = re.search(r"test accuracy (\S+)", out).group(1)
    assert f"`test accuracy {accuracy}`" in text and float(accuracy) > 0.9
    out = run(regression, "docs/sklearn.md regression", capsys, tmp_path, monkeypatch)
    lines = out.splitlines()
    assert f"`{lines[0]}`" in text and f"`{lines[1]}`" in text and f"`{lines[2]}`" in text
    assert float(lines[0].split(": ")[1]) > 0.15


def test_onnx_doc_example(capsys, tmp_path, monkeypatch):
    (example,) = blocks("onnx.md")
    out = run(example, "docs/onnx.md onnxruntime", capsys, tmp_path, monkeypatch)
    accuracy, difference = out.splitlines()
    assert f"`{accuracy}`" in (DOCS / "onnx.md").read_text()
    assert float(accuracy.split()[-1]) > 0.9
    assert float(difference.split()[-1]) < 1e-5
    assert (tmp_path / "digits.onnx").is_file()
