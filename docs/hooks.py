"""MkDocs hooks for barenet's site (named in mkdocs.yml; not a page: excluded from docs/).

1. The tutorials' kernels talk to the build over IPC sockets in a private temporary folder,
   not over TCP: an nbconvert configuration written there (found through
   ``JUPYTER_CONFIG_PATH``) says so, which also keeps the kernel's warning about unencrypted
   TCP out of the build's output. The folder is removed when the build ends.
2. MathJax from the ``django-static-mathjax`` package (the ``docs`` extra), copied into the
   site at build time, so equations render with no CDN: the site works offline.
3. The tutorials are rendered by mkdocs-jupyter, whose template adds MathJax 2 from a CDN
   and a loader of mermaid diagrams from a CDN to every notebook page: both are removed
   (the site's own MathJax typesets the notebooks' Markdown cells; no tutorial draws mermaid).
4. The pages in docs/ are plain Markdown that also reads well on a repository browser, so
   some link to files outside docs/. On the site, a link to a source file
   (``../src/barenet/data/splits.py``) becomes a link to that module's API reference, and a
   link to a Markdown file outside docs/ that the site mirrors (``MIRRORED``) points at the
   mirrored page. Any other link leaving docs/ is left alone, and strict mode fails on it.
5. New pages slot in: a page that mkdocs.yml's nav does not list is added at the end of its
   section (``SECTIONS``: a guide docs/<topic>.md under Guides, a notebook under Tutorials),
   and a module defining a public name (one in the ``__all__`` of ``barenet`` or of one of
   its packages or modules) that no page under docs/reference/ documents gets a generated
   reference page. Hand-written pages and nav entries take precedence; tests/docs checks
   that every public name ends up with an entry.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent

# MathJax 3's TeX-to-HTML component with every TeX extension built in (so it never fetches
# one), and the web fonts it loads relative to its own URL.
MATHJAX_DIR = "assets/mathjax"
MATHJAX_SCRIPT = "tex-chtml-full.js"
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"

# Files outside docs/ that the site carries as pages, with the images they show, at the
# same path relative to the site root as relative to the repository root.
MIRRORED = ("benchmarks/results.md", "benchmarks/results.png")

# The blocks of mkdocs-jupyter's notebook template that fetch from a CDN.
NOTEBOOK_CDN = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->"
    r"|<script type=\"module\">(?:(?!</script>).)*?jp-Mermaid.*?</script>",
    re.S,
)
# The nav section that takes a page mkdocs.yml does not list, by the page's first folder.
SECTIONS = {"": "Guides", "tutorials": "Tutorials", "reference": "API reference"}
DIRECTIVE = re.compile(r"^:::\s*(\S+)", re.M)

LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


_KERNEL_DIR: Path | None = None


def on_config(config: Any) -> Any:
    global _KERNEL_DIR
    on_shutdown()  # `mkdocs serve` configures again for each rebuild
    _KERNEL_DIR = Path(tempfile.mkdtemp(prefix="barenet-docs-"))
    settings = {"KernelManager": {"transport": "ipc", "ip": str(_KERNEL_DIR / "kernel")}}
    (_KERNEL_DIR / "jupyter_nbconvert_config.json").write_text(json.dumps(settings))
    paths = [str(_KERNEL_DIR), os.environ.get("JUPYTER_CONFIG_PATH", "")]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in paths if p)
    return config


def on_shutdown() -> None:
    if _KERNEL_DIR is not None:
        shutil.rmtree(_KERNEL_DIR, ignore_errors=True)


def _mathjax_root() -> Path:
    return Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"


def on_files(files: Files, config: Any) -> Files:
    root = _mathjax_root()
    sources = [root / MATHJAX_SCRIPT, *sorted((root / MATHJAX_FONTS).glob("*.woff"))]
    for source in sources:
        uri = f"{MATHJAX_DIR}/{source.relative_to(root).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(source)))
    for rel in MIRRORED:
        files.append(File.generated(config, rel, abs_src_path=str(ROOT / rel)))
    for target in _undocumented():
        content = f"# {target}\n\n::: {target}\n"
        files.append(File.generated(config, f"reference/{target}.md", content=content))
    listed = set(_listed(config.nav))
    for file in files.documentation_pages():
        if file.src_uri not in listed and file.inclusion.is_in_nav():
            folder = file.src_uri.split("/")[0] if "/" in file.src_uri else ""
            _section(config.nav, SECTIONS.get(folder, "Guides")).append(file.src_uri)
    return files


def _listed(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    items = nav.values() if isinstance(nav, dict) else nav
    return [uri for item in items for uri in _listed(item)]


def _section(nav: list[Any], title: str) -> list[Any]:
    for item in nav:
        if isinstance(item, dict) and isinstance(item.get(title), list):
            return item[title]
    raise ValueError(f"mkdocs.yml's nav has no section {title!r}")


def _undocumented() -> list[str]:
    """What to generate reference pages for: the module (or, in a private module, the object)
    defining each public name that no ``:::`` directive under docs/reference/ covers."""
    import barenet

    documented = {
        ident
        for page in (ROOT / "docs" / "reference").rglob("*.md")
        for ident in DIRECTIVE.findall(page.read_text())
    }
    modules = [barenet]
    for info in pkgutil.iter_modules(barenet.__path__):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"barenet.{info.name}"))
    targets = set()
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
            if not (home and qualname and home.startswith("barenet")):
                continue  # a constant: documented with the module that defines it
            if home in documented or f"{home}.{qualname}" in documented:
                continue
            private = any(part.startswith("_") for part in home.split("."))
            targets.add(f"{home}.{qualname}" if private else home)
    return sorted(targets)


def _site_link(target: str, page_dir: Path, page_uri: str) -> str | None:
    """The site's link for ``target`` (relative to the page) if it leaves docs/, else None."""
    if "://" in target or target.startswith(("mailto:", "/")):
        return None
    path = (page_dir / target).resolve()
    docs = ROOT / "docs"
    if path.is_relative_to(docs) or not path.is_relative_to(ROOT):
        return None
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith("src/barenet/") and rel.endswith(".py"):
        module = rel.removeprefix("src/").removesuffix(".py").removesuffix("/__init__")
        return f"[{module.replace('/', '.')}]"
    if rel in MIRRORED:
        return "(" + os.path.relpath(rel, os.path.dirname(page_uri) or ".") + ")"
    return None


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if page.file.abs_src_path is None:
        return markdown
    page_dir = Path(page.file.abs_src_path).parent

    def replace(match: re.Match[str]) -> str:
        link = _site_link(match.group(1), page_dir, page.file.src_uri)
        if link is None:
            return match.group(0)
        if link.startswith("["):  # an autorefs link to the module's reference: [text][id]
            return "]" + link
        return "]" + link[:-1] + (match.group(2) or "") + ")"

    return LINK.sub(replace, markdown)


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return NOTEBOOK_CDN.sub("", html)
    return html
