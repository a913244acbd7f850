"""The validator's sign-off: type, scope, opinion and rationale, signed with a password;
tiers 1 and 2 require a favourable one before approvers can sign."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from governance.workflow.errors import (
    GateFailed,
    InvalidWorkflowInput,
    SeparationOfDuties,
    SignatureRefused,
    TransitionNotAllowed,
)
from governance.workflow.models import ValidationSignOff
from governance.workflow.policies import current_policy
from tests.workflow.conftest import sign, sign_off, upload_report

pytestmark = pytest.mark.usefixtures("lenient_fairness")
V = "/models/credit-pd/versions/1"


def test_default_policies_require_the_signoff_for_tiers_1_and_2(db):
    from tests.conftest import _ensure_roles

    _ensure_roles()
    assert [current_policy(t).requires_validation_signoff for t in (1, 2, 3)] == [
        True, True, False]


def test_approval_is_refused_until_the_validator_signs_off(reviewed, victor, rita):
    upload_report(victor, reviewed)
    with pytest.raises(GateFailed, match="not signed 'validation complete'"):
        sign(rita, reviewed)
    signoff = sign_off(victor, reviewed, opinion="fit_with_conditions")
    assert signoff.round == 1 and signoff.artifact_sha256 == reviewed.artifact.sha256
    assert set(signoff.evidence) == {"drift", "fairness", "performance", "shap",
                                     "validation_report"}
    sign(rita, reviewed)  # no longer refused
    event = AuditEvent.objects.get(action="validation.signed_off")
    assert event.after["opinion"] == "fit_with_conditions" and event.actor_name == "victor"


def test_a_not_fit_opinion_keeps_approval_blocked(reviewed, victor, rita):
    upload_report(victor, reviewed)
    sign_off(victor, reviewed, opinion="not_fit")
    with pytest.raises(GateFailed, match="not fit for purpose"):
        sign(rita, reviewed)


def test_the_signoff_needs_the_password_and_records_nothing_without_it(reviewed, victor):
    with pytest.raises(SignatureRefused):
        sign_off(victor, reviewed, password="guess")
    assert not ValidationSignOff.objects.exists()


@pytest.mark.parametrize("field", ["validation_type", "opinion", "scope", "rationale"])
def test_each_field_is_required(reviewed, victor, field):
    with pytest.raises(InvalidWorkflowInput) as refused:
        sign_off(victor, reviewed, **{field: "  "})
    assert refused.value.extra["field"] == field


def test_only_validators_sign_off_and_never_the_developer(reviewed, rita, dan):
    for user in (rita, dan):
        with pytest.raises(SeparationOfDuties):
            sign_off(user, reviewed)
    assert not ValidationSignOff.objects.exists()


def test_one_signoff_per_review(reviewed, victor):
    sign_off(victor, reviewed)
    with pytest.raises(TransitionNotAllowed):
        sign_off(victor, reviewed)


def test_the_validator_signs_off_from_the_page(reviewed, victor, rita):
    client = Client()
    client.force_login(victor)
    assert b"Sign off validation" in client.get(f"{V}/").content
    form = {"validation_type": "initial", "scope": "All of it", "opinion": "fit",
            "rationale": "Sound", "password": "wrong"}
    refused = client.post(f"{V}/signoff/", form)
    assert refused.status_code == 403 and b"password is not correct" in refused.content
    assert client.post(f"{V}/signoff/", form | {"password": "victor-pass-123!"}
                       ).status_code == 302
    page = client.get(f"{V}/").content.decode()
    assert "Fit for purpose" in page and "Sign off validation" not in page


def test_people_who_are_not_validators_get_403_on_the_page(reviewed, rita, dan):
    for user in (rita, dan):
        client = Client()
        client.force_login(user)
        assert client.get(f"{V}/signoff/").status_code == 403
