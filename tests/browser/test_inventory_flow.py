"""A risk officer in a real browser (Debian's chromium driven by Playwright)."""

import pytest

from tests.browser.pages import SHOTS, browser_page, log_in
from tests.conftest import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    timeline = page.inner_text("section[aria-labelledby=timeline-heading] .timeline")
    assert "version.registered" in timeline and "ci (service) via api" in timeline
    page.screenshot(path=SHOTS / "3-model.png", full_page=True)


def test_filters_work_without_javascript(live_server, rita, credit_model, other_model):
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.select_option("select[name=tier]", "2")
        page.click("button:has-text('Filter')")
        text = page.inner_text("#inventory-table")
    assert "Fraud" in text and "Credit PD" not in text
