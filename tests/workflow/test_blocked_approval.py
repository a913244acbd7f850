"""A blocked approval says so on the button, is refused before any password is asked,
names each reason once and links each to its remedy."""

from datetime import date, timedelta

import pytest
from django.test import Client

from governance.workflow.models import Decision
from governance.workflow.services import close_finding, raise_finding
from tests.workflow.conftest import sign_off, upload_report

pytestmark = pytest.mark.usefixtures("lenient_fairness")
V = "/models/credit-pd/versions/1"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def signed_off(reviewed, victor):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    return reviewed


@pytest.fixture
def high_finding(signed_off, victor, olivia):
    return raise_finding(actor=victor, version=signed_off, severity="high",
                         title="Thin coverage of applicants under 25", description="few rows",
                         owner=olivia, due_date=date.today() + timedelta(days=30))


def test_the_signature_page_refuses_up_front_without_asking_for_the_password(
        high_finding, rita):
    response = _client(rita).get(f"{V}/sign/approve/")
    page = response.content.decode()
    assert response.status_code == 409 and 'name="password"' not in page
    assert page.count("Thin coverage of applicants under 25") == 1
    assert f'href="{V}/#findings"' in page


def test_a_post_while_blocked_records_nothing_and_never_judges_the_password(high_finding,
                                                                             rita):
    response = _client(rita).post(f"{V}/sign/approve/", {
        "password": "wrong", "meaning": "approved", "reason": "ok"})
    assert response.status_code == 409 and b"password is not correct" not in response.content
    assert not Decision.objects.exists()


def test_blocked_then_unblocked_through_the_linked_remedy(high_finding, rita):
    client = _client(rita)
    page = client.get(f"{V}/").content.decode()
    assert "Approve: blocked by 1 check" in page and "Accept the finding as a risk" in page
    assert "/sign/approve/" not in page
    close_finding(actor=rita, finding=high_finding, status="risk_accepted",
                  note="Accepted until the 2025 vintage is added to the validation set.")
    page = client.get(f"{V}/").content.decode()
    assert "/sign/approve/" in page and "blocked by" not in page
    assert client.get(f"{V}/sign/approve/").status_code == 200


def test_missing_evidence_offers_the_developer_a_button_to_start_the_run(signed_off, dan):
    signed_off.evidence_runs.filter(kind="performance").update(status="failed")
    page = _client(dan).get(f"{V}/").content.decode()
    assert 'name="kind" value="performance"' in page and "Start the performance run" in page


def test_the_risk_officer_is_sent_to_the_signoff_only_when_she_may_give_it(reviewed, victor,
                                                                           rita):
    upload_report(victor, reviewed)
    assert "Waiting for the validator&#x27;s sign-off" in _client(rita).get(
        f"{V}/").content.decode()
    assert f'href="{V}/signoff/"' in _client(victor).get(f"{V}/").content.decode()
