"""The docs quote the code: every excerpt must still be in the file it names, and every
Python example must run."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKPROP = ROOT / "docs" / "backprop.md"

# "From `src/...py`" (anywhere in the paragraph before it) names the file of the next block.
EXCERPT = re.compile(
    r"`(src/barenet/[\w/]+\.py)`[^`]*?(?:`[^`]*`[^`]*?)*?:\s*\n\n```python\n(.*?)```", re.S
)


def excerpts(text: str) -> list[tuple[str, str]]:
    return [(path, code) for path, code in EXCERPT.findall(text)]


def test_backprop_doc_names_a_file_for_each_code_excerpt():
    text = BACKPROP.read_text()
    blocks = re.findall(r"```python\n", text)
    # Every block but the runnable example at the end quotes the source.
    assert len(excerpts(text)) == len(blocks) - 1 >= 12


@pytest.mark.parametrize("path,code", excerpts(BACKPROP.read_text()))
def test_backprop_doc_excerpt_is_in_the_source(path, code):
    source = (ROOT / path).read_text()
    assert code in source, f"docs/backprop.md quotes code that {path} no longer has:\n{code}"


def test_backprop_doc_example_runs(capsys):
    example = re.findall(r"```python\n(.*?)```", BACKPROP.read_text(), re.S)[-1]
    exec(compile(example, "docs/backprop.md", "exec"), {})
    out = capsys.readouterr().out
    error = float(re.search(r"max relative error (\S+)", out).group(1))
    assert error < 1e-6


CONVOLUTION = ROOT / "docs" / "convolution.md"


def test_convolution_doc_names_a_file_for_each_code_excerpt():
    text = CONVOLUTION.read_text()
    assert len(excerpts(text)) == len(re.findall(r"```python\n", text)) >= 10


@pytest.mark.parametrize("path,code", excerpts(CONVOLUTION.read_text()))
def test_convolution_doc_excerpt_is_in_the_source(path, code):
    source = (ROOT / path).read_text()
    assert code in source, f"docs/convolution.md quotes code that {path} no longer has:\n{code}"
