"""What every browser test shares: Debian's Chromium, the flags this sandbox needs, where screenshots go."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Put on a module: `pytestmark = BROWSER_MARKS`.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def chromium():
    """A headless Chromium driven by Playwright's sync API, closed after the test."""
    # The sync API runs an event loop in this thread; the ORM calls the tests make beside it are safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """The folder this run's screenshots go to, for a reviewer: in pytest's temporary directory, not the source tree.

    pytest keeps the last few runs' directories (`--basetemp` chooses another place).
    """
    return tmp_path_factory.mktemp("screenshots", numbered=False)
