"""A risk officer reviews and approves with her password, the gate turns green; the
developer has no approve button and a forged POST is refused; a halt turns the gate
red. Driven in chromium with JavaScript off: every action is a plain form."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import SHOTS, browser_page, log_in
from tests.workflow.conftest import sign, sign_off, upload_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VERSION = "/models/credit-pd/versions/1/"


@pytest.fixture
def awaiting_rita(reviewed, victor, amy, lenient_fairness):
    """Validation report in, the approver has signed; the risk officer's signature is
    the one missing."""
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    sign(amy, reviewed)
    return reviewed


def test_risk_officer_approves_and_the_gate_turns_green(awaiting_rita, live_server, rita):
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.get_by_role("cell", name="Review and sign")).to_be_visible()
        page.screenshot(path=SHOTS / "approval-1-dashboard.png", full_page=True)
        page.get_by_role("link", name="Credit PD v1").first.click()
        expect(page.get_by_text("1 of 2 approvals signed")).to_be_visible()
        expect(page.locator("h1")).to_contain_text("Deploy gate: red")
        page.screenshot(path=SHOTS / "approval-2-version-under-review.png", full_page=True)
        page.get_by_role("link", name="Approve…").click()
        page.fill("#reason", "Evidence reviewed: discrimination, stability and fairness "
                             "within policy.")
        page.fill("#conditions", "Applicants aged 21 and over only")
        page.fill("#password", "wrong-password")
        page.get_by_role("button", name="Sign: Approve").click()
        expect(page.get_by_role("alert")).to_contain_text("password is not correct")
        page.screenshot(path=SHOTS / "approval-3-wrong-password.png", full_page=True)
        page.fill("#password", "rita-pass-123!")
        page.get_by_role("button", name="Sign: Approve").click()
        expect(page.locator("h1")).to_contain_text("Approved")
        expect(page.locator("h1")).to_contain_text("Deploy gate: green")
        expect(page.get_by_text("Applicants aged 21 and over only").first).to_be_visible()
        page.screenshot(path=SHOTS / "approval-4-approved-gate-green.png", full_page=True)
        gate = page.request.get(f"{live_server.url}/api/v1/models/credit-pd/deployable")
        assert gate.status == 200 and gate.json()["version"]["number"] == 1


def test_developer_sees_no_approve_button_and_a_forged_post_is_403(awaiting_rita,
                                                                    live_server, dan):
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "dan")
        page.goto(f"{live_server.url}{VERSION}")
        expect(page.locator("h1")).to_contain_text("In validation")
        expect(page.get_by_role("link", name="Approve…")).to_have_count(0)
        page.screenshot(path=SHOTS / "approval-5-developer-view.png", full_page=True)
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        forged = page.request.post(
            f"{live_server.url}{VERSION}sign/approve/",
            form={"password": "dan-pass-123!", "meaning": "approved", "reason": "mine"},
            headers={"X-CSRFToken": token, "Referer": f"{live_server.url}{VERSION}"})
        assert forged.status == 403


def test_halted_model_gate_turns_red(awaiting_rita, live_server, rita):
    sign(rita, awaiting_rita)
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.goto(f"{live_server.url}{VERSION}")
        page.get_by_role("button", name="Mark deployed").click()
        expect(page.locator("h1")).to_contain_text("Deployed")
        page.locator("form:has(button:text('Halt (emergency stop)')) input[name=reason]").fill(
            "Complaint spike in the last week")
        page.locator("form:has(button:text('Halt (emergency stop)')) input[name=confirm]").check()
        page.get_by_role("button", name="Halt (emergency stop)").click()
        expect(page.locator("h1")).to_contain_text("Halted")
        expect(page.locator("h1")).to_contain_text("Deploy gate: red")
        page.goto(f"{live_server.url}/models/credit-pd/")
        expect(page.locator("#state")).to_contain_text("Not deployable")
        page.screenshot(path=SHOTS / "approval-6-halted-gate-red.png", full_page=True)
        gate = page.request.get(f"{live_server.url}/api/v1/models/credit-pd/deployable")
        assert gate.status == 409 and gate.json()["reasons"][0]["code"] == "halted"
