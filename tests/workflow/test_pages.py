"""The workflow's pages: who sees which button, who may POST what (the matrix), and
the signature dialog."""

import pytest
from django.test import Client

from governance.workflow.models import Decision, Finding, TierPolicy
from registry.models import ModelVersion

ROLES = ["olivia", "dan", "victor", "rita", "amy", "ada", "nobody"]
READERS = {"olivia", "dan", "victor", "rita", "amy", "ada"}


@pytest.fixture
def people(olivia, dan, victor, rita, amy, ada, nobody):
    return {u.username: u for u in (olivia, dan, victor, rita, amy, ada, nobody)}


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


V = "/models/credit-pd/versions/1"
PAGES = ["/dashboard/", "/policies/", "/models/credit-pd/", f"{V}/",
         "/models/credit-pd/?as_of=2020-01-01"]


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("url", PAGES)
def test_read_pages_per_role(reviewed, people, who, url):
    expected = 200 if who in READERS else 403
    assert client_for(people[who]).get(url).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_log_in(reviewed, url):
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


POSTS = {  # name: (url, form, who may)
    "sign approve": (f"{V}/sign/approve/", {"password": "x", "meaning": "m", "reason": "r"},
                     {"rita", "amy"}),
    "sign request changes": (f"{V}/sign/request_changes/",
                             {"password": "x", "meaning": "m", "reason": "r"},
                             {"victor", "rita", "amy"}),
    "raise finding": (f"{V}/findings/", {"severity": "low", "title": "t", "description": "d",
                                         "owner": "", "due_date": "2027-01-01"},
                      {"victor", "rita"}),
    "grant exception": (f"{V}/fairness-exceptions/",
                        {"check": "fairness:sex:four_fifths",
                         "justification": "Justified by a documented business reason."},
                        {"rita"}),
    "upload report": (f"{V}/report/", {}, {"victor", "rita"}),
    "edit policy": ("/policies/", {"tier": "3", "revalidation_months": "24", "reason": "r",
                                   "approvals_required": "1", "grace_days": "10",
                                   "required_evidence": "performance"}, {"rita"}),
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("name", list(POSTS))
def test_write_matrix(reviewed, people, who, name):
    url, form, allowed = POSTS[name]
    if name == "raise finding":
        form = form | {"owner": str(people["olivia"].pk)}
    if "password" in form:
        form = form | {"password": f"{who}-pass-123!"}
    status = client_for(people[who]).post(url, form).status_code
    # allowed: done (302) or refused on the merits (gate failed, no PDF), never 403;
    # denied: 403 always.
    assert (status != 403) == (who in allowed), status


@pytest.mark.parametrize("who", ROLES)
def test_halt_matrix(reviewed, people, who):
    ModelVersion.objects.filter(pk=reviewed.pk).update(status="deployed")
    status = client_for(people[who]).post(f"{V}/actions/halt/", {"reason": "x",
                                                                  "confirm": "yes"}).status_code
    assert (status == 302) == (who in {"olivia", "rita"})
    assert (status == 403) == (who not in {"olivia", "rita"})


def test_developer_sees_no_approve_button_and_a_forged_post_is_403(reviewed, dan):
    client = client_for(dan)
    assert b"/sign/approve/" not in client.get(f"{V}/").content
    response = client.post(f"{V}/sign/approve/", {"password": "dan-pass-123!",
                                                   "meaning": "m", "reason": "r"})
    assert response.status_code == 403 and not Decision.objects.exists()


def test_risk_officer_sees_the_approve_button_blocked_while_checks_fail(reviewed, rita):
    page = client_for(rita).get(f"{V}/").content.decode()
    assert "/sign/approve/" not in page and "Approve: blocked by" in page


def test_wrong_password_is_shown_and_nothing_signed(reviewed, rita):
    response = client_for(rita).post(f"{V}/sign/reject/", {
        "password": "nope", "meaning": "rejected", "reason": "weak"})
    assert response.status_code == 403 and b"password is not correct" in response.content
    assert not Decision.objects.exists()


def test_reject_with_signature_from_the_page(reviewed, rita):
    response = client_for(rita).post(f"{V}/sign/reject/", {
        "password": "rita-pass-123!", "meaning": "rejected for production use",
        "reason": "unstable"})
    assert response.status_code == 302
    assert ModelVersion.objects.get(pk=reviewed.pk).status == "rejected"


def test_gate_failure_is_explained_on_the_signature_page(reviewed, rita):
    response = client_for(rita).post(f"{V}/sign/approve/", {
        "password": "rita-pass-123!", "meaning": "approved", "reason": "ok"})
    assert response.status_code == 409 and b"No validation report uploaded" in response.content


def test_validator_raises_a_finding_from_the_page(reviewed, victor, olivia):
    response = client_for(victor).post(f"{V}/findings/", {
        "severity": "high", "title": "Thin file segment", "description": "few rows",
        "owner": olivia.pk, "due_date": "2027-02-01"})
    assert response.status_code == 302 and Finding.objects.get().severity == "high"


def test_report_that_is_not_a_pdf_is_refused(reviewed, victor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(victor).post(f"{V}/report/", {
        "report": SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 422 and b"must be a PDF" in response.content


def test_policy_change_makes_a_revision(reviewed, rita):
    client_for(rita).post("/policies/", {"tier": "3", "required_evidence": ["performance"],
                                         "approvals_required": "1", "revalidation_months": "24",
                                         "grace_days": "10", "reason": "annual review"})
    assert TierPolicy.objects.filter(tier=3).latest("revision").revalidation_months == 24


def test_dashboard_lists_what_waits_for_the_risk_officer(reviewed, rita):
    assert b"Review and sign" in client_for(rita).get("/dashboard/").content
