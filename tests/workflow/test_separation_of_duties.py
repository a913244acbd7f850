"""Separation of duties that re-assigning people cannot sidestep: people frozen on the
version, the owner excluded by policy, and reviews restarted when people change."""

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from governance.workflow.errors import SeparationOfDuties
from governance.workflow.services import approval_progress, review_round, transition
from registry import roles
from registry.services import update_model
from tests.conftest import _user
from tests.workflow.conftest import policy_in_force, sign, sign_off, upload_report

pytestmark = pytest.mark.usefixtures("lenient_fairness")


def _grant(user, role):
    user.groups.add(Group.objects.get(name=role))
    user._assay_roles = None


@pytest.fixture
def vera(db):
    return _user("vera", roles.VALIDATOR)


def test_submission_freezes_submitter_and_developer(evidence_version, olivia, dan):
    transition(actor=olivia, version=evidence_version, action="submit")
    evidence_version.refresh_from_db()
    assert (evidence_version.submitted_by, evidence_version.developer_at_submission) == (
        olivia, dan)


def test_former_developer_may_not_approve_after_reassignment(reviewed, olivia, dan, victor,
                                                             vera):
    _grant(dan, roles.APPROVER)
    update_model(actor=olivia, model=reviewed.model, changes={"developer": "vera"},
                 reason="dan moved teams")
    transition(actor=victor, version=reviewed, action="start_validation")
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    with pytest.raises(SeparationOfDuties) as refused:
        sign(dan, reviewed)
    assert refused.value.extra["rule"] == "developer-not-reviewer"


def test_changing_the_validator_in_review_restarts_it(reviewed, olivia, victor, rita, amy,
                                                      vera):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed)
    sign(rita, reviewed)
    assert approval_progress(reviewed) == "1 of 2 approvals signed"
    update_model(actor=olivia, model=reviewed.model, changes={"validator": "vera"},
                 reason="victor on leave")
    reviewed.refresh_from_db()
    assert (reviewed.status, review_round(reviewed)) == ("submitted", 2)
    event = AuditEvent.objects.filter(action="version.transitioned").latest("sequence")
    assert (event.after["action"], event.after["changed"], event.actor_id) == (
        "restart_review", ["validator"], olivia.pk)
    transition(actor=vera, version=reviewed, action="start_validation")
    assert approval_progress(reviewed) == "0 of 2 approvals signed"
    sign_off(vera, reviewed)  # the new validator signs off this round
    sign(rita, reviewed)  # the first round's signature no longer counts: rita signs again
    sign(amy, reviewed)
    reviewed.refresh_from_db()
    assert reviewed.status == "approved"


def test_changing_the_owner_restarts_a_submitted_version(evidence_version, olivia, rita):
    transition(actor=olivia, version=evidence_version, action="submit")
    update_model(actor=rita, model=evidence_version.model, changes={"owner": "rita"},
                 reason="re-organisation")
    assert review_round(evidence_version) == 2


def test_changing_people_leaves_an_approved_version_alone(approved, olivia, vera):
    update_model(actor=olivia, model=approved.model, changes={"validator": "vera"})
    approved.refresh_from_db()
    assert (approved.status, review_round(approved)) == ("approved", 1)


def test_owner_may_not_approve_a_tier_1_model(evidence_version, olivia, dan, victor):
    _grant(olivia, roles.APPROVER)
    transition(actor=dan, version=evidence_version, action="submit")
    transition(actor=victor, version=evidence_version, action="start_validation")
    upload_report(victor, evidence_version)
    sign_off(victor, evidence_version)
    with pytest.raises(SeparationOfDuties) as refused:
        sign(olivia, evidence_version)
    assert refused.value.extra["rule"] == "owner-not-approver"


def test_owner_may_not_deploy_a_tier_1_model(approved, olivia, rita):
    with pytest.raises(SeparationOfDuties) as refused:
        transition(actor=olivia, version=approved, action="deploy")
    assert refused.value.extra["rule"] == "owner-not-approver"
    assert transition(actor=rita, version=approved, action="deploy").status == "deployed"


def test_the_policy_option_can_let_the_owner_deploy(approved, olivia, rita):
    policy_in_force(rita, 1, changes={"owner_excluded": False},
                    reason="small team: the owner deploys")
    assert transition(actor=olivia, version=approved, action="deploy").status == "deployed"


def test_owner_exclusion_is_on_for_tiers_1_and_2_only(db, olivia):
    from governance.workflow.policies import current_policy

    assert [current_policy(t).owner_excluded for t in (1, 2, 3)] == [True, True, False]
