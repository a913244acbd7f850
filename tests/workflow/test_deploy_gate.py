"""May it be deployed? Status, expiry, halt, rollback, invalidation, as of a moment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from explain.models import EvidenceRun
from governance.workflow.deployability import model_answer, version_answer
from governance.workflow.errors import NotDeployable
from governance.workflow.models import Approval
from governance.workflow.services import transition
from tests.workflow.conftest import approve


def test_in_validation_is_not_deployable(reviewed):
    assert version_answer(reviewed).reasons == ["not_approved"]
    assert model_answer(reviewed.model).reasons == ["no_approved_version"]


def test_approved_version_is_deployable(approved):
    answer = model_answer(approved.model)
    assert (answer.deployable, answer.version.number) == (True, 1)
    assert len(answer.version.approval["signatures"]) == 2


def test_as_of_before_the_approval_it_was_not(approved):
    before = Approval.objects.get().approved_at - timedelta(microseconds=1)
    assert model_answer(approved.model, at=before).reasons == ["no_approved_version"]


def test_overdue_within_grace_still_deployable_then_expired(approved):
    approval = Approval.objects.get()
    overdue = version_answer(approved, at=approval.expires_at + timedelta(days=1))
    assert (overdue.deployable, overdue.revalidation_overdue) == (True, True)
    late = version_answer(approved, at=approval.grace_until + timedelta(seconds=1))
    assert late.reasons == ["expired"]


def test_halted_model_is_red(approved, rita):
    transition(actor=rita, version=approved, action="deploy")
    transition(actor=rita, version=approved, action="halt", reason="complaints spike")
    assert model_answer(approved.model).reasons == ["halted"]
    assert version_answer(approved).reasons == ["halted"]


def test_changed_evidence_invalidates_the_approval(approved):
    EvidenceRun.objects.filter(version=approved, kind="fairness").update(summary={"edited": 1})
    assert version_answer(approved).reasons == ["approval_invalidated"]


def test_deploying_v2_supersedes_v1_and_rollback_restores_it(approved, second_version, rita,
                                                           amy, victor):
    transition(actor=rita, version=approved, action="deploy")
    v2 = approve(second_version, victor, rita, amy)
    transition(actor=rita, version=v2, action="deploy")
    approved.refresh_from_db()
    assert approved.status == "approved"
    transition(actor=rita, version=v2, action="halt", reason="bad scores")
    transition(actor=rita, version=v2, action="rollback", reason="back to v1")
    answer = model_answer(approved.model)
    assert (answer.deployable, answer.version.number, answer.version.status) == (
        True, 1, "deployed")


def test_rollback_needs_an_earlier_approved_version(approved, rita):
    with pytest.raises(NotDeployable, match="halt this version instead"):
        transition(actor=rita, version=approved, action="rollback", reason="oops")


def test_deploy_refused_while_another_version_is_halted(approved, second_version, rita, amy,
                                                        victor):
    transition(actor=rita, version=approved, action="deploy")
    transition(actor=rita, version=approved, action="halt", reason="incident")
    v2 = approve(second_version, victor, rita, amy)
    with pytest.raises(NotDeployable) as refused:
        transition(actor=rita, version=v2, action="deploy")
    assert refused.value.extra["reasons"] == ["model_halted"]


def test_point_in_time_answers_follow_the_history(approved, rita):
    approved_at = timezone.now()
    transition(actor=rita, version=approved, action="deploy")
    transition(actor=rita, version=approved, action="halt", reason="incident")
    assert model_answer(approved.model, at=approved_at).deployable
    assert not model_answer(approved.model).deployable


def test_inventory_status_follows_the_versions(approved, rita):
    transition(actor=rita, version=approved, action="deploy")
    approved.model.refresh_from_db()
    assert approved.model.status == "in_production"
    transition(actor=rita, version=approved, action="halt", reason="incident")
    approved.model.refresh_from_db()
    assert approved.model.status == "halted"
