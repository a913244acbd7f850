"""The lifecycle table, its role checks and separation of duties."""

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from governance.workflow.errors import (
    InvalidWorkflowInput,
    SeparationOfDuties,
    SignatureRefused,
    TransitionNotAllowed,
)
from governance.workflow.services import transition
from governance.workflow.transitions import TRANSITIONS
from registry import roles
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


def test_the_models_validator_starts_validation(version, olivia, victor):
    transition(actor=olivia, version=version, action="submit")
    assert transition(actor=victor, version=version,
                      action="start_validation").status == "in_validation"


UNSIGNED = [action for action, step in TRANSITIONS.items() if not step.signed]
# deploy and rollback also need an approval on record (tests/workflow/test_deploy_gate.py).
PLAIN = [action for action in UNSIGNED if action not in ("deploy", "rollback")]


@pytest.mark.parametrize("status", ModelVersion.Status.values)
@pytest.mark.parametrize("action", PLAIN)
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


@pytest.mark.parametrize(("action", "status"), [
    (action, status) for action in ("deploy", "rollback") for status in ModelVersion.Status.values
    if status not in TRANSITIONS[action].sources])
def test_deploy_and_rollback_refused_outside_their_sources(version, everyone, status, action):
    with pytest.raises(TransitionNotAllowed):
        transition(actor=everyone, version=_at(version, status), action=action, reason="r")


@pytest.mark.parametrize("action", ["approve", "reject", "request_changes"])
def test_decisions_need_a_signature(version, rita, action):
    with pytest.raises(SignatureRefused, match="signed decision"):
        transition(actor=rita, version=_at(version, "in_validation"), action=action,
                   reason="x")


def test_refusal_lists_what_is_allowed(version, rita):
    with pytest.raises(TransitionNotAllowed) as refused:
        transition(actor=rita, version=version, action="start_validation", reason="x")
    assert refused.value.extra["allowed_actions"] == ["submit"]


def test_developer_who_is_also_a_validator_may_not_validate(version, dan):
    dan.groups.add(Group.objects.get(name=roles.VALIDATOR))
    with pytest.raises(SeparationOfDuties, match="developed or registered"):
        transition(actor=dan, version=_at(version, "submitted"), action="start_validation")


def test_submitter_may_not_validate(version, olivia):
    olivia.groups.add(Group.objects.get(name=roles.VALIDATOR))
    transition(actor=olivia, version=version, action="submit")
    with pytest.raises(SeparationOfDuties) as refused:
        transition(actor=olivia, version=version, action="start_validation")
    assert refused.value.extra["rule"] == "submitter-not-reviewer"


def test_auditor_has_no_role_for_any_action(version, ada):
    with pytest.raises(SeparationOfDuties, match="no role"):
        transition(actor=ada, version=version, action="submit")


def test_halt_needs_a_reason(version, rita):
    with pytest.raises(InvalidWorkflowInput, match="reason"):
        transition(actor=rita, version=_at(version, "deployed"), action="halt")


def test_risk_officer_halts_a_deployed_version(version, rita):
    halted = transition(actor=rita, version=_at(version, "deployed"), action="halt",
                        reason="drift alarm")
    assert halted.status == "halted"
