"""A risk officer in a real browser (Debian's chromium driven by Playwright)."""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
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


@pytest.fixture
def page():
    with browser_page() as page:
        yield page


def test_risk_officer_filters_inventory_and_reads_a_model(page, live_server, rita, ci_api,
                                                          other_model, xgb_json):
    register(ci_api, "credit-pd", xgb_json, metadata={"git_commit": "9f8e7d6c5b",
                                                      "metrics": {"auc": 0.79}})
    log_in(page, live_server, "rita")
    page.wait_for_selector("h1:has-text('Model inventory')")
    page.screenshot(path=SHOTS / "1-inventory.png", full_page=True)

    from playwright.sync_api import expect

    page.select_option("select[name=tier]", "2")  # htmx swaps the table in place
    expect(page.locator("#inventory-table")).not_to_contain_text("Credit PD")
    assert "Fraud" in page.inner_text("#inventory-table")
    assert "tier=2" in page.url
    page.screenshot(path=SHOTS / "2-filtered.png", full_page=True)

    page.select_option("select[name=tier]", "1")
    page.click("text=Credit PD")
    page.wait_for_selector("h1:has-text('Credit PD')")
    assert "v1" in page.inner_text("#v1") and "9f8e7d6c5b" in page.inner_text("#v1")
    timeline = page.inner_text(".timeline")
    assert "version.registered" in timeline and "ci (service) via api" in timeline
    page.screenshot(path=SHOTS / "3-model.png", full_page=True)


def test_filters_work_without_javascript(live_server, rita, credit_model, other_model):
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.select_option("select[name=tier]", "2")
        page.click("button:has-text('Filter')")
        text = page.inner_text("#inventory-table")
    assert "Fraud" in text and "Credit PD" not in text
