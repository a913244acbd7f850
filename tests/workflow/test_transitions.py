"""The lifecycle table, its role checks and separation of duties."""

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from governance.workflow.errors import SeparationOfDuties, TransitionNotAllowed
from governance.workflow.services import transition
from governance.workflow.transitions import TRANSITIONS
from registry import roles
from registry.errors import UnknownReference
from registry.models import ModelVersion
from registry.services import VersionMetadata, register_version
from tests.conftest import _user


@pytest.fixture
def version(credit_model, ci, xgb_json):
    version, _ = register_version(actor=ci, model=credit_model, data=xgb_json,
                                  filename="model.json", metadata=VersionMetadata(),
                                  idempotency_key=None, max_bytes=10**9)
    return version


@pytest.fixture
def everyone(db):
    """Holds every global role, and no role on the credit model."""
    return _user("eve", roles.RISK_OFFICER, roles.APPROVER, roles.VALIDATOR)


def _at(version, status) -> ModelVersion:
    ModelVersion.objects.filter(pk=version.pk).update(status=status)
    version.refresh_from_db()
    return version


def test_owner_submits_and_it_is_audited(version, olivia):
    transition(actor=olivia, version=version, action="submit")
    event = AuditEvent.objects.get(action="version.transitioned")
    assert (event.before, event.after) == ({"status": "draft"},
                                           {"status": "submitted", "action": "submit"})


def test_validator_starts_validation_then_risk_officer_approves(version, olivia, victor, rita):
    transition(actor=olivia, version=version, action="submit")
    transition(actor=victor, version=version, action="start_validation")
    approved = transition(actor=rita, version=version, action="approve", reason="sound")
    assert approved.status == "approved"


@pytest.mark.parametrize("status", ModelVersion.Status.values)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_action_only_from_its_sources(version, everyone, olivia, status, action):
    actor = olivia if action in ("submit",) else everyone
    version = _at(version, status)
    allowed = status in TRANSITIONS[action].sources
    if allowed:
        assert transition(actor=actor, version=version, action=action,
                          reason="r").status == TRANSITIONS[action].target
    else:
        with pytest.raises(TransitionNotAllowed):
            transition(actor=actor, version=version, action=action, reason="r")


def test_refusal_lists_what_is_allowed(version, rita):
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(actor=rita, version=version, action="approve", reason="x")
    assert refused.value.extra["allowed_actions"] == ["submit"]


def test_developer_who_is_also_an_approver_may_not_approve(version, dan):
    dan.groups.add(Group.objects.get(name=roles.APPROVER))
    with pytest.raises(SeparationOfDuties, match="developed or registered"):
        transition(actor=dan, version=_at(version, "in_validation"), action="approve",
                   reason="mine is fine")


def test_submitter_may_not_validate(version, olivia):
    olivia.groups.add(Group.objects.get(name=roles.VALIDATOR))
    transition(actor=olivia, version=version, action="submit")
    with pytest.raises(SeparationOfDuties) as refused:
        transition(actor=olivia, version=version, action="start_validation")
    assert refused.value.extra["rule"] == "submitter-not-reviewer"


def test_auditor_has_no_role_for_any_action(version, ada):
    with pytest.raises(SeparationOfDuties, match="no role"):
        transition(actor=ada, version=version, action="submit")


def test_rejection_needs_a_reason(version, rita):
    with pytest.raises(UnknownReference, match="reason"):
        transition(actor=rita, version=_at(version, "in_validation"), action="reject")


def test_risk_officer_halts_a_deployed_version(version, rita):
    halted = transition(actor=rita, version=_at(version, "deployed"), action="halt",
                        reason="drift alarm")
    assert halted.status == "halted"
