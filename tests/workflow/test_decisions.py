"""Signed decisions: password re-entry, meaning, approver rules, gates, conditions."""

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from explain.models import EvidenceRun
from explain.services import request_run
from governance.workflow.errors import GateFailed, SeparationOfDuties, SignatureRefused
from governance.workflow.models import Approval, Decision
from governance.workflow.services import (
    ConditionInput,
    approval_progress,
    close_finding,
    grant_fairness_exception,
    raise_finding,
    revise_policy,
)
from registry import roles
from tests.explain.conftest import execute, make_dataset
from tests.workflow.conftest import policy_in_force, sign, sign_off, upload_report

pytestmark = pytest.mark.usefixtures("lenient_fairness")


@pytest.fixture
def ready(reviewed, victor):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    return reviewed


def test_first_signature_waits_for_the_second(ready, rita):
    sign(rita, ready)
    ready.refresh_from_db()
    assert ready.status == "in_validation"
    assert approval_progress(ready) == "1 of 2 approvals signed"


def test_two_signatures_approve_with_expiry(ready, rita, amy):
    sign(rita, ready)
    sign(amy, ready)
    approval = Approval.objects.get(version=ready)
    assert ready.__class__.objects.get(pk=ready.pk).status == "approved"
    assert approval.expires_at == approval.approved_at + relativedelta(months=12)
    assert sorted(approval.evidence) == ["drift", "fairness", "performance", "shap",
                                         "validation_report"]


def test_approval_event_carries_signatures_and_hashes(ready, rita, amy):
    sign(rita, ready)
    sign(amy, ready, meaning="approved for production use in UK consumer lending")
    event = AuditEvent.objects.get(action="version.transitioned", after__action="approve")
    document = event.after["approval"]
    assert [s["signer"] for s in document["signatures"]] == ["rita", "Amy Adams"]
    assert document["artifact_sha256"] == ready.artifact.sha256


def test_wrong_password_records_nothing(ready, rita):
    with pytest.raises(SignatureRefused, match="password"):
        sign(rita, ready, password="guess")
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="decision.signed").exists()


def test_signature_needs_its_meaning(ready, rita):
    with pytest.raises(SignatureRefused) as refused:
        sign(rita, ready, meaning="  ")
    assert refused.value.extra["field"] == "meaning"


def test_nobody_signs_twice(ready, rita):
    sign(rita, ready)
    with pytest.raises(SeparationOfDuties) as refused:
        sign(rita, ready)
    assert refused.value.extra["rule"] == "one-signature-per-person"


def test_two_approvers_without_a_risk_officer_are_not_enough(ready, amy, db):
    from tests.conftest import _user

    sign(amy, ready)
    sign(_user("bo", roles.APPROVER), ready)
    assert approval_progress(ready) == "a risk officer's approval is still needed"


def test_validator_is_never_the_sole_approver(ready, rita, victor):
    policy_in_force(rita, 1, reason="one signer",
                    changes={"approvals_required": 1, "risk_officer_must_approve": False})
    victor.groups.add(Group.objects.get(name=roles.APPROVER))
    sign(type(victor).objects.get(pk=victor.pk), ready)  # fresh: roles are cached per object
    ready.refresh_from_db()
    assert ready.status == "in_validation"
    assert approval_progress(ready) == "an approver other than the validator must sign"


def test_developer_may_not_sign(ready, dan):
    dan.groups.add(Group.objects.get(name=roles.APPROVER))
    with pytest.raises(SeparationOfDuties, match="developed or registered"):
        sign(dan, ready)


def test_missing_validation_report_blocks_approval(reviewed, rita):
    with pytest.raises(GateFailed) as refused:
        sign(rita, reviewed)
    assert [c["name"] for c in refused.value.extra["checks"]] == ["validation_report",
                                                                  "validation_signoff"]


def test_open_high_finding_blocks_until_risk_accepted(ready, victor, rita, olivia):
    finding = raise_finding(actor=victor, version=ready, severity="high", title="Unstable PSI",
                            description="PSI 0.3 on amount", owner=olivia,
                            due_date=date(2027, 1, 31))
    with pytest.raises(GateFailed, match="Unstable PSI"):
        sign(rita, ready)
    close_finding(actor=rita, finding=finding, status="risk_accepted",
                  note="Compensating monitoring in place")
    assert sign(rita, ready).kind == "approve"


def test_only_a_risk_officer_accepts_a_risk(ready, victor, olivia):
    finding = raise_finding(actor=victor, version=ready, severity="medium", title="t",
                            description="d", owner=olivia, due_date=date(2027, 1, 31))
    with pytest.raises(SeparationOfDuties):
        close_finding(actor=victor, finding=finding, status="risk_accepted", note="fine")


def test_evidence_on_another_dataset_does_not_count(ready, rita, ci, credit_frame):
    EvidenceRun.objects.filter(version=ready, kind="performance").update(status="failed")
    other = make_dataset(credit_frame.head(200), ci, name="other")
    run, _ = request_run(actor=ci, version=ready, kind="performance", dataset=other)
    assert execute(run).status == "succeeded"
    with pytest.raises(GateFailed) as refused:
        sign(rita, ready)
    assert [c["name"] for c in refused.value.extra["checks"]] == ["evidence:performance"]


def test_reject_takes_effect_at_once(ready, rita):
    sign(rita, ready, kind="reject", meaning="rejected for production use")
    ready.refresh_from_db()
    assert ready.status == "rejected"


def test_conditions_are_recorded_with_the_approval(ready, rita, amy):
    sign(rita, ready, conditions=[ConditionInput("condition", "Applicants aged 21+ only"),
                                  ConditionInput("overlay", "+5% PD for self-employed")])
    sign(amy, ready)
    document = AuditEvent.objects.get(after__action="approve").after["approval"]
    assert [c["kind"] for c in document["conditions"]] == ["condition", "overlay"]


@pytest.fixture
def strict_fairness(rita):
    return policy_in_force(rita, 1, reason="strict", changes={"four_fifths_min": 0.999})


def test_fairness_threshold_blocks_approval(ready, rita, strict_fairness):
    with pytest.raises(GateFailed) as refused:
        sign(rita, ready)
    assert "fairness:sex:four_fifths" in [c["name"] for c in refused.value.extra["checks"]]


def test_fairness_exception_lets_it_pass(ready, rita, strict_fairness):
    for check in ("fairness:sex:four_fifths", "fairness:age_years:four_fifths"):
        grant_fairness_exception(actor=rita, version=ready, check_name=check,
                                 justification="Gap explained by income; reviewed by legal.")
    assert sign(rita, ready).kind == "approve"


def test_validator_may_not_grant_fairness_exceptions(ready, victor):
    with pytest.raises(SeparationOfDuties):
        grant_fairness_exception(actor=victor, version=ready,
                                 check_name="fairness:sex:four_fifths",
                                 justification="Gap explained by income; reviewed.")


@pytest.mark.parametrize(("changes", "field"), [
    ({"required_evidence": ["horoscope"]}, "required_evidence"),
    ({"approvals_required": 0}, "approvals_required"),
    ({"four_fifths_min": 1.5}, "four_fifths_min"),
])
def test_invalid_policy_changes_are_refused(rita, changes, field):
    from governance.workflow.errors import InvalidWorkflowInput

    with pytest.raises(InvalidWorkflowInput) as refused:
        revise_policy(actor=rita, tier=2, changes=changes, reason="typo")
    assert refused.value.extra["field"] == field


def test_policy_revision_is_audited_and_old_decisions_keep_theirs(ready, rita, amy):
    sign(amy, ready)
    policy_in_force(rita, 1, reason="stricter", changes={"grace_days": 10})
    event = AuditEvent.objects.filter(action="policy.revised").latest("sequence")
    assert (event.before["grace_days"], event.after["grace_days"]) == (30, 10)
    assert Decision.objects.get().policy.revision == 3  # lenient_fairness made r3
