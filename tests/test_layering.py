"""The layers of the package import one way only:
app → sweep/sklearn/export → train → io, data → nn."""

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
    "export": {"nn", "io"},
    "sklearn": {"nn", "data", "io", "train"},
    "app": {"nn", "data", "io", "train", "sweep", "export"},
}

# Imports of a layer above, allowed only inside a function (run when called, never when the
# module loads): Model.to_onnx calls the optional exporter, which itself never imports train.
DEFERRED = {"train": {"export"}}

# Third-party packages only one layer may import: the optional extras stay optional.
CONFINED = {"sklearn": "sklearn", "onnx": "export", "onnxruntime": "export"}


def layer_of(path: Path, root: Path = SRC) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def _imports(tree: ast.AST, layer: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
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


def _top_level(tree: ast.Module) -> ast.Module:
    """The module without its function bodies: what runs when it is imported."""
    body = [
        node
        for node in tree.body
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        body += [_top_level(ast.Module(body=cls.body, type_ignores=[]))]
    return ast.Module(body=body, type_ignores=[])


def barenet_imports(path: Path, root: Path = SRC, *, at_import: bool = False) -> set[str]:
    """The barenet subpackages that the module at ``path`` imports (absolute or relative);
    with ``at_import`` only those imported when the module loads (not inside functions)."""
    tree = ast.parse(path.read_text())
    return _imports(_top_level(tree) if at_import else tree, layer_of(path, root))


def third_party_imports(path: Path) -> dict[str, bool]:
    """Top-level package names imported by ``path`` → whether one is imported at load."""
    tree = ast.parse(path.read_text())
    eager = {n for n in ast.walk(_top_level(tree)) if isinstance(n, ast.Import | ast.ImportFrom)}
    found: dict[str, bool] = {}
    for node in ast.walk(tree):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
            else []
        )
        for name in names:
            top = name.split(".")[0]
            found[top] = found.get(top, False) or node in eager
    return found


def modules(layer: str) -> list[Path]:
    single = SRC / f"{layer}.py"
    return [single] if single.is_file() else sorted((SRC / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_layers_below_it(layer):
    files = modules(layer)
    assert files, f"no modules in {layer}"
    for path in files:
        bad = barenet_imports(path, at_import=True) - ALLOWED[layer]
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)} (above {layer})"
        deferred = barenet_imports(path) - ALLOWED[layer] - DEFERRED.get(layer, set())
        assert not deferred, f"{path.relative_to(SRC)} imports {sorted(deferred)} (above {layer})"


def test_optional_packages_are_imported_by_their_own_layer_only():
    for path in sorted(SRC.rglob("*.py")):
        for package, eager in third_party_imports(path).items():
            if package in CONFINED:
                assert layer_of(path) == CONFINED[package], (path, package)
                # onnx loads only when an export runs: `import barenet.export` works without.
                assert not (eager and package.startswith("onnx")), (path, package)


def test_the_check_catches_upward_imports(tmp_path):
    bad = tmp_path / "nn" / "bad.py"
    bad.parent.mkdir()
    bad.write_text(
        "from barenet.train import Model\nfrom ..io import write_model\n"
        "import barenet.app.cli\nfrom . import layers\n"
        "def later():\n    from barenet.export import to_onnx\n"
    )
    assert barenet_imports(bad, root=tmp_path) == {"train", "io", "app", "export"}
    assert barenet_imports(bad, root=tmp_path, at_import=True) == {"train", "io", "app"}
    single = tmp_path / "sklearn.py"
    single.write_text("import sklearn.base\nfrom barenet.train import Model\n")
    assert barenet_imports(single, root=tmp_path) == {"train"}
    assert third_party_imports(single) == {"sklearn": True, "barenet": True}
