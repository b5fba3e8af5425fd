"""The ``barenet.nn`` package: NumPy and the standard library only; its public names."""

import subprocess
import sys

import barenet
import barenet.nn

FOREIGN_MODULES = """
import sys
before = set(sys.modules)
import barenet.nn
new = set(sys.modules) - before
tops = {name.split(".")[0] for name in new}
for name in sorted(tops - set(sys.stdlib_module_names) - {"numpy", "barenet"}):
    print(name)
print("numpy" in tops and "barenet" in tops)
"""


def foreign_imports(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    *foreign, sanity = result.stdout.splitlines()
    assert sanity == "True", "the check must see numpy and barenet being imported"
    return foreign


def test_importing_the_engine_imports_only_numpy_and_the_standard_library():
    assert foreign_imports(FOREIGN_MODULES) == []


def test_the_check_sees_a_foreign_import():
    # The same check, with a third-party module imported alongside: it must be reported.
    code = FOREIGN_MODULES.replace("import barenet.nn\n", "import barenet.nn\nimport pytest\n")
    assert "pytest" in foreign_imports(code)


def test_public_names_are_exported():
    for name in barenet.nn.__all__:
        assert getattr(barenet.nn, name) is not None
    for name in ("Sequential", "Network", "gradcheck", "Adam", "SGD", "RMSProp", "Dense"):
        assert getattr(barenet, name) is getattr(barenet.nn, name)
