"""End to end in a real headless browser: `barenet serve` in a subprocess, Debian's Chromium
driven by Playwright, digits drawn with mouse events on the page's canvas."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import pytest

from ._drawing import draw_digit, phone_photo
from ._serve import serve_process

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.mnist,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's chromium is not installed at {CHROMIUM} (`make browser` installs it)",
    ),
]


@pytest.fixture
def server(trained, tmp_path):
    """The URL of `barenet serve MODEL --port 0` running in a subprocess."""
    with serve_process(trained.path, ["--workers", "1"], tmp_path / "serve.log") as (url, _):
        yield url


def draw(page, points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse through ``points`` given as fractions of the canvas."""
    box = page.locator("#pad").bounding_box()

    def at(p):
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*at(p), steps=4)
    page.mouse.up()


def shown(page, after: int) -> dict:
    """Wait until a prediction newer than the ``after``-th is shown and none is pending."""
    page.wait_for_function(
        """after => {
            const r = document.querySelector('#result');
            return r.dataset.state === 'ready' && r.dataset.busy === '0'
                && Number(r.dataset.shown) > after;
        }""",
        arg=after,
        timeout=15_000,
    )
    return page.evaluate(
        """() => {
            const input = document.querySelector('#input').getContext('2d')
                .getImageData(0, 0, 28, 28).data;
            let ink = 0;
            for (let k = 0; k < input.length; k += 4) ink += input[k];
            return {
                digit: document.querySelector('#digit').textContent,
                probabilities: [...document.querySelectorAll('#bars li')]
                    .map(li => Number(li.dataset.p)),
                top: document.querySelector('#bars li.top')?.dataset.digit,
                shown: Number(document.querySelector('#result').dataset.shown),
                ink: ink,
            };
        }"""
    )


def open_page(p, server, problems):
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
    page = browser.new_page(viewport={"width": 900, "height": 760})
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server)
    page.wait_for_function("document.querySelector('#model').textContent.endsWith('model.npz')")
    return browser, page


def test_upload_a_phone_photo_through_the_file_input(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    photo = tmp_path / "IMG_0007.jpg"
    photo.write_bytes(phone_photo("7", size=(2400, 1800)))  # shrunk in the browser first
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser, page = open_page(p, server, problems)
        try:
            assert page.get_attribute("#photo", "accept") == "image/*"
            assert page.get_attribute("#photo", "capture") == "environment"
            page.set_input_files("#photo", str(photo))
            seen = shown(page, after=0)
            assert seen["digit"] == seen["top"] == "7"
            assert sum(seen["probabilities"]) == pytest.approx(1.0, abs=1e-6)
            assert seen["ink"] > 0  # the 28×28 image the network saw is drawn
            assert page.locator("#warning").is_hidden()
            # The photo is shown on the pad: its dark table edge is at the bottom.
            pad_ink = page.evaluate(
                """() => {
                    const d = document.querySelector('#pad').getContext('2d')
                        .getImageData(0, 0, 280, 280).data;
                    let dark = 0;
                    for (let k = 0; k < d.length; k += 4) dark += d[k] < 100;
                    return dark;
                }"""
            )
            assert pad_ink > 100
            page.screenshot(path=str(tmp_path / "photo.png"), full_page=True)

            # Drag and drop: a PNG of a "0" dropped on the pad is read like a chosen file.
            buffer = io.BytesIO()
            draw_digit("0").save(buffer, "PNG")
            page.evaluate(
                """([b64, name]) => {
                    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                    const transfer = new DataTransfer();
                    transfer.items.add(new File([bytes], name, { type: "image/png" }));
                    const drop = document.querySelector('#drop');
                    for (const type of ["dragenter", "dragover", "drop"]) {
                        drop.dispatchEvent(new DragEvent(type, {
                            dataTransfer: transfer, bubbles: true, cancelable: true,
                        }));
                    }
                }""",
                [base64.b64encode(buffer.getvalue()).decode(), "zero.png"],
            )
            dropped = shown(page, after=seen["shown"])
            assert dropped["digit"] == dropped["top"] == "0"
            assert problems == []
        finally:
            browser.close()


def test_draw_42_and_see_the_warning(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser, page = open_page(p, server, problems)
        try:
            # A "4" in the left half: down, across, then the upright; a "2" in the right half.
            draw(page, [(0.12, 0.2), (0.12, 0.6), (0.42, 0.6)])
            draw(page, [(0.32, 0.25), (0.32, 0.8)])
            arc = [
                (
                    0.72 + 0.14 * math.cos(math.pi * (1 - t / 8)),
                    0.38 - 0.14 * math.sin(math.pi * (1 - t / 8)),
                )
                for t in range(9)
            ]
            draw(page, [*arc, (0.58, 0.8), (0.9, 0.8)])
            page.wait_for_function(
                "document.querySelector('#result').dataset.warning === '1' && "
                "document.querySelector('#result').dataset.busy === '0'",
                timeout=15_000,
            )
            text = page.locator("#warning").text_content()
            assert page.locator("#warning").is_visible()
            assert "more than one digit" in text, text
            assert page.locator("#digit").text_content() in "0123456789"  # still a best guess
            assert problems == []
        finally:
            browser.close()


def test_draw_digits_and_watch_the_prediction(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 760})
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            page.goto(server)
            assert page.locator("#digit").text_content() == "–"
            page.wait_for_function(
                "document.querySelector('#model').textContent.endsWith('model.npz')"
            )

            # A "1": one vertical stroke.
            draw(page, [(0.5, 0.15 + 0.07 * k) for k in range(11)])
            one = shown(page, after=0)
            assert len(one["probabilities"]) == 10
            assert sum(one["probabilities"]) == pytest.approx(1.0, abs=1e-6)
            assert one["digit"] == one["top"] == "1"
            assert one["ink"] > 0  # the 28×28 input is drawn, enlarged

            page.click("#clear")
            assert page.locator("#digit").text_content() == "–"
            assert page.locator("#result").get_attribute("data-state") == "empty"

            # A "0": a closed loop, clearly different from the "1".
            loop = [
                (
                    0.5 + 0.28 * math.sin(t / 24 * 2 * math.pi),
                    0.5 - 0.36 * math.cos(t / 24 * 2 * math.pi),
                )
                for t in range(26)
            ]
            draw(page, loop)
            zero = shown(page, after=one["shown"])
            assert zero["digit"] != one["digit"]
            assert zero["digit"] == zero["top"] == "0"
            assert sum(zero["probabilities"]) == pytest.approx(1.0, abs=1e-6)

            page.wait_for_timeout(300)  # let the bars finish their 120 ms transition
            page.screenshot(path=str(tmp_path / "serve.png"), full_page=True)
            assert (tmp_path / "serve.png").stat().st_size > 10_000
            assert problems == []
        finally:
            browser.close()
