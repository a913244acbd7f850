"""Driving Debian's chromium with Playwright (no browser download)."""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

SHOTS = Path(os.environ.get("ASSAY_SCREENSHOTS", "test-artifacts/screenshots"))


@contextlib.contextmanager
def browser_page(javascript=True):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make install installs it)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls happen before and after it drives the page, never concurrently.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      java_script_enabled=javascript)
        try:
            yield context.new_page()
        finally:
            browser.close()


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-pass-123!")
    page.click("button[type=submit]")
