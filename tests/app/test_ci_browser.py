"""Under CI (``CI=true``) the browser test must run: a missing Chromium fails the run here
instead of letting tests/app/test_browser.py skip."""

import os

import pytest

from tests.app.test_browser import CHROMIUM


def test_ci_has_the_browser_the_browser_test_needs():
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("outside CI a missing browser only skips the browser test")
    assert CHROMIUM.exists(), f"CI=true but {CHROMIUM} is missing: run `make browser` as root"
