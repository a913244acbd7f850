"""A risk officer starts an evidence run in a real browser and watches a real worker
finish it: progress updates by htmx polling, then the results with their charts."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import SHOTS, log_in
from tests.conftest import register, upload_dataset
from tests.worker_process import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_risk_officer_starts_a_run_and_sees_the_results(page, live_server, rita, ci_api,
                                                       dataset_csv, xgb_json, tmp_path,
                                                       settings):
    settings.ASSAY_EVIDENCE_POLICY = {1: []}
    dataset_id = upload_dataset(ci_api, dataset_csv).json()["id"]
    register(ci_api, "credit-pd", xgb_json, metadata={"validation_dataset": dataset_id})
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/models/credit-pd/versions/1/")
    page.select_option("select[name=kind]", "performance")
    page.click("button:has-text('Start run')")
    expect(page.locator("#run-status")).to_contain_text("Queued")
    page.screenshot(path=SHOTS / "evidence-1-queued.png", full_page=True)
    with running_worker(tmp_path / "worker.log"):
        expect(page.get_by_role("heading", name="Confusion matrix at threshold 0.5")
               ).to_be_visible(timeout=90_000)
    expect(page.locator("#run-status")).to_contain_text("Succeeded")
    page.screenshot(path=SHOTS / "evidence-2-performance.png", full_page=True)
    chart = page.get_by_role("img", name="ROC curve").get_attribute("src")
    response = page.request.get(f"{live_server.url}{chart}")
    assert response.status == 200 and b"<svg" in response.body()
