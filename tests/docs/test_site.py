"""The documentation site (mkdocs.yml): built once per test run, strictly, with the tutorials
executed on the real MNIST; then checked for what a reader relies on: every notebook ran and
printed real results, every public name has a reference entry, nothing is loaded from
outside the site, and the equations render in a real browser with the network cut off."""

from __future__ import annotations

import functools
import html
import http.server
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

import barenet

ROOT = Path(__file__).resolve().parent.parent.parent
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.ipynb"))
CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Site:
    path: Path
    log: str

    def page(self, url: str) -> str:
        return (self.path / url / "index.html").read_text()

    def html_files(self) -> list[Path]:
        return sorted(self.path.rglob("*.html"))


@pytest.fixture(scope="session")
def site(tmp_path_factory, mnist_cache) -> Site:
    """`mkdocs build --strict` into a temporary folder, notebooks executed (no cache)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "BARENET_DOCS_CACHE": "false"}
    env.pop("BARENET_DOCS_EXECUTE", None)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    return Site(out, log)


def outputs(page: str) -> str:
    """The text the notebook's cells printed, as shown on the page."""
    blocks = re.findall(r'<div class="jp-RenderedText[^"]*"[^>]*>\s*<pre>(.*?)</pre>', page, re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks)


def numbers(pattern: str, text: str) -> list[float]:
    found = [float(x) for x in re.findall(pattern, text)]
    assert found, f"no match for {pattern!r} in:\n{text[:3000]}"
    return found


@pytest.mark.mnist
def test_the_build_is_strict_and_warns_of_nothing(site):
    assert "WARNING" not in site.log
    assert "execute=True" in site.log  # the tutorials ran during this build
    for page in ["", "backprop", "reference", "reference/nn/layers", "benchmarks/results"]:
        assert (site.path / page / "index.html").is_file(), page


def test_every_notebook_is_committed_without_outputs():
    notebooks = sorted((ROOT / "docs").rglob("*.ipynb"))
    assert len(notebooks) >= len(TUTORIALS) >= 3
    for notebook in notebooks:
        cells = json.loads(notebook.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        stale = [c for c in code if c["outputs"] or c["execution_count"]]
        assert not stale, f"{notebook.name}: clear its outputs; the site build makes them"


@pytest.mark.mnist
def test_the_nav_links_every_tutorial_and_the_mirrored_benchmark(site):
    home = site.page("")
    for notebook in TUTORIALS:
        assert f'href="tutorials/{notebook.stem}/"' in home, notebook.name
    assert 'href="benchmarks/results/"' in home


def test_a_page_or_module_the_site_does_not_list_slots_in(monkeypatch, tmp_path):
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, get_files

    config = load_config(str(ROOT / "mkdocs.yml"))
    tutorials = next(item["Tutorials"] for item in config.nav if "Tutorials" in item)
    tutorials[:] = [t for t in tutorials if "seeds.ipynb" not in str(t)]
    files = get_files(config)
    (tmp_path / "new-topic.md").write_text("# A new guide\n")
    files.append(File("new-topic.md", str(tmp_path), config.site_dir, config.use_directory_urls))
    # A public name whose module no reference page documents (barenet.data.mirrors).
    import barenet.data
    from barenet.data.mirrors import timeout_from_env

    monkeypatch.setattr(barenet.data, "__all__", [*barenet.data.__all__, "timeout_from_env"])
    monkeypatch.setattr(barenet.data, "timeout_from_env", timeout_from_env, raising=False)
    files = config.plugins.on_files(files, config=config)  # every plugin's, and the hooks'
    config.plugins.on_shutdown()
    guides = next(item["Guides"] for item in config.nav if "Guides" in item)
    reference = next(item["API reference"] for item in config.nav if "API reference" in item)
    assert tutorials[-1] == "tutorials/seeds.ipynb"
    assert guides[-1] == "new-topic.md"
    assert reference[-1] == "reference/barenet.data.mirrors.md"
    page = files.get_file_from_path("reference/barenet.data.mirrors.md")
    assert "::: barenet.data.mirrors" in page.content_string


@pytest.mark.mnist
@pytest.mark.parametrize("notebook", [n.stem for n in TUTORIALS])
def test_every_cell_of_every_tutorial_ran_without_error(site, notebook):
    page = site.page(f"tutorials/{notebook}")
    code_cells = len(re.findall(r'class="jp-Cell jp-CodeCell[^"]*" id="cell-id=', page))
    assert code_cells >= 5
    executed = re.findall(r'jp-InputPrompt jp-InputArea-prompt">In\xa0\[(\d+)\]:', page)
    assert [int(n) for n in executed] == list(range(1, code_cells + 1))  # each ran, in order
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd\.jupyter\.stderr"', page)
    assert "data:image/png;base64," in page  # its figures were drawn
    assert "cdnjs" not in page and "MathJax.Hub" not in page  # the template's CDN blocks removed


@pytest.mark.mnist
def test_backprop_by_hand_matches_barenet_and_finite_differences(site):
    text = outputs(site.page("tutorials/backprop-by-hand"))
    assert "label" in text and "784" in text
    assert max(numbers(r"largest \|ours - barenet\| = (\S+)", text)) < 1e-12
    assert numbers(r"max relative error (\S+) at", text)[0] < 1e-6
    costs = re.search(r"cost before ([\d.]+), after one step ([\d.]+)", text)
    assert costs and float(costs.group(2)) < float(costs.group(1))


@pytest.mark.mnist
def test_the_seeds_tutorial_learns_real_mnist(site):
    text = outputs(site.page("tutorials/seeds"))
    seed000 = numbers(r"Epoch \d+: \d+ / 10000 \(([\d.]+)%\)", text)
    seed001 = numbers(r"Epoch \d+ Accuracy = ([\d.]+)%", text)
    assert len(seed000) >= 3 and seed000[-1] > 90
    assert seed001[-1] > 90 and seed001[-1] > seed001[0]


@pytest.mark.mnist
def test_the_handwriting_tutorial_shows_what_preprocessing_is_worth(site):
    text = outputs(site.page("tutorials/handwriting"))
    naive = numbers(r"the photo, shrunk to 28×28\s+([\d.]+)%", text)[0]
    preprocessed = numbers(r"preprocess_image\s+([\d.]+)%", text)[0]
    assert preprocessed > 80 > 40 > naive


def public_names() -> list[tuple[str, object]]:
    """(dotted name, object) for the ``__all__`` of barenet and of each of its packages and
    public modules (``barenet.errors``, ``barenet.sklearn``, ... as they are added)."""
    found = [("barenet", barenet)]
    for info in pkgutil.iter_modules(barenet.__path__):
        if not info.name.startswith("_"):
            found.append((f"barenet.{info.name}", importlib.import_module(f"barenet.{info.name}")))
    return [
        (f"{name}.{attr}", getattr(module, attr))
        for name, module in found
        for attr in getattr(module, "__all__", [])
        if not attr.startswith("__")
    ]


@pytest.mark.mnist
def test_every_public_name_has_an_entry_in_the_api_reference(site):
    ids: set[str] = set()
    for page in (site.path / "reference").rglob("index.html"):
        ids.update(re.findall(r'id="(barenet[\w.]*)"', page.read_text()))
    missing = []
    for dotted, obj in public_names():
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if module and qualname and not isinstance(obj, type(barenet)):
            ok = f"{module}.{qualname}" in ids
        else:  # a constant: documented in the module of its package that defines it
            package, name = dotted.rsplit(".", 1)
            ok = any(i.startswith(package + ".") and i.endswith("." + name) for i in ids)
        if not ok:
            missing.append(dotted)
    assert not missing, f"no API reference entry (add a ::: block under docs/reference/): {missing}"


@pytest.mark.mnist
def test_a_source_link_in_a_page_becomes_a_link_to_the_reference(site):
    page = site.page("data")
    assert 'href="../reference/data/#barenet.data.splits"' in page
    assert 'href="../benchmarks/results/"' in site.page("performance")


EXTERNAL = r"(?:https?:)?//[^\s\"')]+"
# What a page makes the browser fetch by itself: scripts, styles, fonts, images, frames.
FETCHED_BY_HTML = [
    rf'<(?:script|img|iframe|source|audio|video)\b[^>]*?\bsrc="({EXTERNAL})"',
    rf'<link\b(?=[^>]*\brel="(?:stylesheet|preload|modulepreload|icon)")[^>]*?\bhref="({EXTERNAL})"',
    rf"import\(\s*[\"']({EXTERNAL})",
]
FETCHED_BY_CSS_JS = [rf"url\(\s*[\"']?({EXTERNAL})", rf"@import\s+(?:url\()?[\"']?({EXTERNAL})"]


@pytest.mark.mnist
def test_the_site_loads_no_script_style_font_or_image_from_outside(site):
    checks = [(path, FETCHED_BY_HTML) for path in site.html_files()]
    for ext in ("css", "js"):
        checks += [(path, FETCHED_BY_CSS_JS) for path in site.path.rglob(f"*.{ext}")]
    found = [
        (path.relative_to(site.path).as_posix(), url)
        for path, patterns in checks
        for pattern in patterns
        for url in re.findall(pattern, path.read_text(errors="replace"))
    ]
    assert not found, found
    assert (site.path / "assets" / "mathjax" / "tex-chtml-full.js").is_file()
    assert len(list((site.path / "assets" / "mathjax").rglob("*.woff"))) >= 20


@pytest.fixture
def served(site):
    """The built site on an HTTP server on 127.0.0.1 (a free port), for the browser."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(site.path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.mnist
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium is not at {CHROMIUM}")
def test_equations_render_offline_in_a_real_browser(served):
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            failed: list[str] = []

            def route(r):
                if r.request.url.startswith(served):
                    r.continue_()
                else:  # no network: any request leaving the site is refused, and recorded
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
            page.goto(served + "tutorials/backprop-by-hand/")
            page.wait_for_function(
                "document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length > 20"
            )
            # Typeset with its fonts: each formula has a width, and no $...$ is left as text.
            widths = page.eval_on_selector_all(
                ".jp-RenderedMarkdown mjx-container",
                "els => els.map(e => e.getBoundingClientRect().width)",
            )
            assert min(widths) > 0
            prose = page.eval_on_selector_all(
                ".jp-RenderedMarkdown", "els => els.map(e => e.innerText).join(' ')"
            )
            assert "\\delta" not in prose and not re.search(r"\$[^$\s][^$]*\$", prose)
            page.goto(served + "reference/nn/layers/")
            page.wait_for_load_state("networkidle")
            assert page.locator("#barenet\\.nn\\.layers\\.Dense").count() == 1
        finally:
            browser.close()
    assert not outside, outside
    assert not failed, failed
