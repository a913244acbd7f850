"""In chromium, JavaScript off: the validator's sign-off, an approval blocked and then
unblocked through the linked remedy, a policy change with maker-checker, and each
role's queue on the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.workflow.policies import current_policy
from governance.workflow.services import raise_finding
from tests.browser.pages import SHOTS, browser_page, log_in
from tests.workflow.conftest import second_risk_officer, sign_off, upload_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VERSION = "/models/credit-pd/versions/1/"


def test_the_validator_signs_off_from_his_queue(reviewed, victor, lenient_fairness,
                                                live_server):
    upload_report(victor, reviewed)
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "victor")
        page.goto(f"{live_server.url}/dashboard/")
        queue = page.locator("#queue-validator")
        expect(queue).to_contain_text("Validate and sign off")
        queue.get_by_role("link", name="Credit PD v1").click()
        page.get_by_role("link", name="Sign off validation…").click()
        page.get_by_label("Validation type").select_option("initial")
        page.get_by_label("Scope (what was validated, and what was not)").fill(
            "Conceptual soundness, data, performance, stability, fairness.")
        page.get_by_label("Fit for purpose with conditions").check()
        page.get_by_label("Rationale").fill("Sound; monitor the under-25 segment monthly.")
        page.get_by_label("Your password (re-entered to sign)").fill("victor-pass-123!")
        page.screenshot(path=SHOTS / "signoff-1-form.png", full_page=True)
        page.get_by_role("button", name="Sign: validation complete").click()
        expect(page.locator("#signoff")).to_contain_text("Fit for purpose with conditions")
        expect(page.get_by_role("link", name="Sign off validation…")).to_have_count(0)
        page.screenshot(path=SHOTS / "signoff-2-recorded.png", full_page=True)


def test_an_approval_blocked_then_unblocked_through_the_linked_remedy(
        reviewed, victor, olivia, rita, lenient_fairness, live_server):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    raise_finding(actor=victor, version=reviewed, severity="high",
                  title="Thin coverage of applicants under 25", description="30 rows",
                  owner=olivia, due_date=timezone.localdate() + timedelta(days=30))
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.goto(f"{live_server.url}{VERSION}")
        blocked = page.get_by_role("button", name="Approve: blocked by 1 check")
        expect(blocked).to_be_disabled()
        expect(page.get_by_role("link", name="Approve…")).to_have_count(0)
        page.screenshot(path=SHOTS / "blocked-1-approve-disabled.png", full_page=True)
        page.get_by_role("link", name="Accept the finding as a risk, or confirm its "
                                       "remediation").click()
        findings = page.locator("#findings")
        findings.locator("summary", has_text="Close").click()
        findings.get_by_label("Outcome").select_option("risk_accepted")
        findings.get_by_label("Evidence or justification").fill(
            "Accepted until the 2025 vintage joins the validation set (committee 12/3).")
        findings.get_by_role("button", name="Close finding").click()
        expect(page.get_by_role("link", name="Approve…")).to_be_visible()
        page.get_by_role("link", name="Approve…").click()
        expect(page.locator("#password")).to_be_visible()
        page.screenshot(path=SHOTS / "blocked-2-unblocked-sign-page.png", full_page=True)


def test_a_policy_change_takes_effect_only_when_a_second_risk_officer_approves(
        rita, live_server):
    rosa = second_risk_officer()
    before = current_policy(3)
    with browser_page(javascript=False) as page:
        log_in(page, live_server, "rita")
        page.goto(f"{live_server.url}/policies/")
        tier = page.locator("#tier-3")
        checkbox = tier.locator("#t3-evidence-shap")
        tier.get_by_text("SHAP explanations", exact=True).click()  # the label toggles its box
        expect(checkbox).to_be_checked()
        tier.get_by_label("Grace period after expiry (days)").fill("10")
        tier.get_by_label("Reason for the change").fill("SHAP for every tier; shorter grace")
        tier.get_by_role("button", name="Propose revision").click()
        expect(page.locator("#tier-3-pending")).to_contain_text("awaiting a second risk "
                                                                "officer")
        expect(page.get_by_role("button", name=f"Approve revision {before.revision + 1}")
               ).to_have_count(0)
        page.screenshot(path=SHOTS / "policy-1-proposed.png", full_page=True)
        assert current_policy(3).revision == before.revision
        page.context.clear_cookies()
        log_in(page, live_server, rosa.username)
        page.goto(f"{live_server.url}/policies/")
        page.get_by_role("button", name=f"Approve revision {before.revision + 1}").click()
        history = page.locator("#tier-3 details")
        history.locator("summary").click()
        expect(history).to_contain_text("grace_days")
        expect(history.locator("ins").first).to_be_visible()
        page.screenshot(path=SHOTS / "policy-2-approved-with-diff.png", full_page=True)
    policy = current_policy(3)
    assert (policy.grace_days, policy.approved_by_id) == (10, rosa.pk)
    assert "shap" in policy.required_evidence


@pytest.mark.parametrize(("who", "queue", "text"), [
    ("victor", "validator", "Validate and sign off"),
    ("olivia", "owner-developer", "Remediate"),
    ("amy", "approver", "Review and sign"),
    ("ada", "auditor", "Verified up to event #"),
])
def test_each_role_sees_its_queue(reviewed, victor, olivia, amy, ada, lenient_fairness,
                                  live_server, who, queue, text):
    raise_finding(actor=victor, version=reviewed, severity="medium", title="Calibration",
                  description="top decile", owner=olivia,
                  due_date=timezone.localdate() + timedelta(days=30))
    with browser_page(javascript=False) as page:
        log_in(page, live_server, who)
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.locator(f"#queue-{queue}")).to_contain_text(text)
        page.screenshot(path=SHOTS / f"queue-{who}.png", full_page=True)
