"""Debian's Chromium for the browser tests (tests/test_browser.py, tests/test_book.py), driven by
Playwright. The tests never skip: without the browser they fail and say how to install it."""

from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    """The browser's path; fails the test (with how to install it) where it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM}: install it with "
                    f"apt-get update && apt-get install -y --no-install-recommends chromium "
                    f"(.ci/run does)", pytrace=False)
    return str(CHROMIUM)


@contextmanager
def browser_page(width: int, height: int, timeout_s: float):
    """A page of a headless Chromium, ``width`` x ``height`` pixels, whose waits give up after
    ``timeout_s`` seconds; the browser closes afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(timeout_s * 1000)
            yield page
        finally:
            browser.close()
