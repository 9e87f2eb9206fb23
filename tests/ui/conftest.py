"""Fixtures of the browser tests (tests/ui/test_ui.py, tests/ui/test_ui_trust.py): headless Chromium and a page.
The module-scoped servers' environment (``module_env``) is in tests/conftest.py. A test that uses ``browser`` or
``page`` is marked `browser` and `slow` (tests/conftest.py). Chromium is required (Debian: ``apt-get install -y
chromium``); without it these tests fail, they never skip."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser(module_env):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get update && apt-get install -y "
                    "chromium` (the browser tests never skip)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
