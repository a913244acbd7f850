"""Each role's queue on the dashboard; findings by severity, overdue flagged, past due
dates refused, owners with a role on the model, carried forward to the next version;
the comparison with any approved version."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from governance.workflow import gates, selectors
from governance.workflow.errors import GateFailed, InvalidWorkflowInput
from governance.workflow.models import Finding
from governance.workflow.policies import current_policy
from governance.workflow.services import raise_finding
from tests.workflow.conftest import sign

pytestmark = pytest.mark.usefixtures("lenient_fairness")
V = "/models/credit-pd/versions/1/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _finding(actor, version, owner, severity="medium", days=30, **extra):
    return raise_finding(actor=actor, version=version, severity=severity,
                         title=f"{severity} issue", description="d", owner=owner,
                         due_date=timezone.localdate() + timedelta(days=days), **extra)


def test_each_role_sees_its_queue(reviewed, victor, olivia, rita, amy, ada):
    _finding(victor, reviewed, olivia)
    assert "Validate and sign off" in _client(victor).get("/dashboard/").content.decode()
    owner = _client(olivia).get("/dashboard/").content.decode()
    assert "Remediate" in owner and "medium issue" in owner
    for approver in (rita, amy):
        assert "Review and sign" in _client(approver).get("/dashboard/").content.decode()
    auditor = _client(ada).get("/dashboard/").content.decode()
    assert "Nothing to do: the audit chain" in auditor and "Verified up to event #" in auditor


def test_findings_are_ordered_by_severity_and_overdue_ones_flagged(reviewed, victor, olivia,
                                                                   rita):
    for severity in ("low", "high", "medium"):
        _finding(victor, reviewed, olivia, severity)
    late = _finding(rita, reviewed, olivia, "low", days=-3,
                    backdate_reason="Agreed in the March committee; recorded late.")
    assert [f.severity for f in selectors.open_findings()] == ["high", "medium", "low", "low"]
    assert list(selectors.overdue_findings()) == [late]
    page = _client(rita).get("/dashboard/").content.decode()
    assert "overdue findings" in page and page.count(">overdue</span>") >= 1


def test_a_past_due_date_is_refused_unless_a_risk_officer_gives_a_reason(reviewed, victor,
                                                                         olivia, rita):
    with pytest.raises(InvalidWorkflowInput) as refused:
        _finding(victor, reviewed, olivia, days=-1)
    assert refused.value.extra["field"] == "due_date"
    with pytest.raises(InvalidWorkflowInput) as refused:
        _finding(rita, reviewed, olivia, days=-1)
    assert refused.value.extra["field"] == "backdate_reason"


def test_the_owner_must_have_a_role_on_the_model(reviewed, victor, amy):
    with pytest.raises(InvalidWorkflowInput) as refused:
        _finding(victor, reviewed, amy)
    assert refused.value.extra["field"] == "owner" and not Finding.objects.exists()
    response = _client(victor).post(f"{V}findings/", {
        "severity": "low", "title": "t", "description": "d", "owner": amy.pk,
        "due_date": "2099-01-01"})
    assert response.status_code == 422 and b"role on the model" in response.content


def test_open_findings_are_carried_forward_and_the_comparison_is_coloured(
        second_version, approved, victor, olivia, rita):
    _finding(victor, approved, olivia, "high")
    check = next(c for c in gates.approval_gates(second_version, current_policy(1)).checks
                 if c.name == "findings")
    assert not check.passed and "carried forward from v1" in check.detail
    with pytest.raises(GateFailed):
        sign(rita, second_version)
    page = _client(rita).get("/models/credit-pd/versions/2/").content.decode()
    assert "carried forward from v1" in page
    assert "Compared with the approved version (v1)" in page and "Log loss" in page
    assert 'id="inputs-changed"' in page and "<strong>Added:</strong> none" in page
    chosen = _client(rita).get(f"/models/credit-pd/versions/2/?compare={approved.pk}")
    assert chosen.status_code == 200


def test_better_and_worse_follow_the_metric_direction():
    assert selectors.Delta("AUC", 0.8, 0.7).verdict == "better"
    assert selectors.Delta("Log loss", 0.5, 0.4, higher_is_better=False).verdict == "worse"
    assert selectors.Delta("KS", 0.3, 0.3).verdict == ""
