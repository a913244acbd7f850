"""A tier-1 credit model version with its evidence computed, people in every role,
and short-hands to walk it through review."""

import pytest

from explain.models import EvidenceRun
from governance.workflow.services import revise_policy, sign_decision, transition
from registry import roles
from tests.conftest import _user
from tests.explain.conftest import credit_frame, execute, validation  # noqa: F401 fixtures
from tests.explain.conftest import version as evidence_version  # noqa: F401 fixture

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def amy(db):
    """An approver (second line), no role on the credit model."""
    return _user("amy", roles.APPROVER, first_name="Amy", last_name="Adams")


def into_validation(version, owner, validator):
    """Compute the policy's evidence, then submit (owner) and start validation."""
    for run in version.evidence_runs.filter(status=EvidenceRun.Status.QUEUED):
        assert execute(run).status == "succeeded", run.error
    transition(actor=owner, version=version, action="submit")
    transition(actor=validator, version=version, action="start_validation")
    version.refresh_from_db()
    return version


@pytest.fixture
def reviewed(evidence_version, olivia, victor):  # noqa: F811
    """Submitted by the owner, in validation by the model's validator, evidence done."""
    return into_validation(evidence_version, olivia, victor)


def second_risk_officer():
    from django.contrib.auth.models import User

    return User.objects.filter(username="rosa").first() or _user(
        "rosa", roles.RISK_OFFICER, first_name="Rosa", last_name="Reyes")


def policy_in_force(maker, tier, changes, reason="tests"):
    """Proposed by ``maker``, approved by a second risk officer (maker-checker)."""
    from governance.workflow.services import decide_policy_revision

    proposal = revise_policy(actor=maker, tier=tier, changes=changes, reason=reason)
    return decide_policy_revision(actor=second_risk_officer(), policy=proposal, approve=True)


@pytest.fixture
def lenient_fairness(rita):
    """The random demo data is not held to the four-fifths rule here; tests of the
    fairness gate set their own thresholds."""
    return policy_in_force(rita, 1, reason="tests of other gates",
                           changes={"four_fifths_min": None,
                                    "equal_opportunity_max_difference": None})


def sign(user, version, kind="approve", **extra):
    fields = {"password": f"{user.username}-pass-123!", "meaning": "approved for production "
              "use in UK consumer lending", "reason": "evidence reviewed"} | extra
    return sign_decision(actor=user, version=version, kind=kind, **fields)


def upload_report(actor, version):
    from governance.workflow.services import upload_validation_report

    return upload_validation_report(actor=actor, version=version, data=PDF,
                                    filename="validation.pdf")


def sign_off(validator, version, opinion="fit", **extra):
    from governance.workflow.services import sign_off_validation

    fields = {"validation_type": "initial", "scope": "Conceptual soundness, data, "
              "performance, stability and fairness on the validation sample.",
              "opinion": opinion, "rationale": "Evidence within the policy's limits.",
              "password": f"{validator.username}-pass-123!"} | extra
    return sign_off_validation(actor=validator, version=version, **fields)


def approve(version, validator, risk_officer, approver):
    upload_report(validator, version)
    sign_off(validator, version)
    sign(risk_officer, version)
    sign(approver, version)
    version.refresh_from_db()
    assert version.status == "approved"
    return version


@pytest.fixture
def approved(reviewed, victor, rita, amy, lenient_fairness):
    return approve(reviewed, victor, rita, amy)


@pytest.fixture
def second_version(approved, ci, xgb_ubj, validation, olivia, victor):  # noqa: F811
    """v2 of the same model (the same trees saved as UBJSON), in validation."""
    from registry.services import VersionMetadata, register_version

    version, _ = register_version(
        actor=ci, model=approved.model, data=xgb_ubj, filename="model.ubj",
        metadata=VersionMetadata(training_dataset=validation.pk,
                                 validation_dataset=validation.pk),
        idempotency_key=None, max_bytes=10**9)
    return into_validation(version, olivia, victor)
