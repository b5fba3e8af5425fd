"""The layers of the package import one way only: app → sweep → train → io, data → nn."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "barenet"

# Standard-library-only helpers at the package root that every layer above nn may use.
SHARED = {"_version", "_files", "errors"}

# What each layer may import from barenet (besides itself and the version module).
ALLOWED = {
    "nn": set(),
    "data": {"nn"},
    "io": {"nn"},
    "train": {"nn", "data", "io"},
    "sweep": {"nn", "data", "io", "train"},
    "app": {"nn", "data", "io", "train", "sweep"},
}


def barenet_imports(path: Path, root: Path = SRC) -> set[str]:
    """The barenet subpackages that the module at ``path`` imports (absolute or relative)."""
    layer = path.relative_to(root).parts[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("barenet."):
                found.add(node.module.split(".")[1])
            elif node.level == 1:
                found.add(layer)
            elif node.level >= 2:
                found.add((node.module or "barenet").split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("barenet."))
    return found - {layer, *(SHARED if layer != "nn" else ())}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_layers_below_it(layer):
    files = sorted((SRC / layer).rglob("*.py"))
    assert files, f"no modules in {layer}"
    for path in files:
        bad = barenet_imports(path) - ALLOWED[layer]
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)} (above {layer})"


def test_the_check_catches_upward_imports(tmp_path):
    bad = tmp_path / "nn" / "bad.py"
    bad.parent.mkdir()
    bad.write_text(
        "from barenet.train import Model\nfrom ..io import write_model\n"
        "import barenet.app.cli\nfrom . import layers\n"
    )
    assert barenet_imports(bad, root=tmp_path) == {"train", "io", "app"}
