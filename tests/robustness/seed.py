"""The demo's people and models, plus a model in every state the pages must survive,
built through the same services people use (evidence computed in-process)."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from explain.models import EvidenceRun
from governance.workflow import services
from registry import roles
from registry.models import RegisteredModel
from registry.services import VersionMetadata, create_model, register_version
from tests.conftest import _user
from tests.explain.conftest import execute, make_dataset
from tests.workflow.conftest import PDF, policy_in_force, sign_off

PEOPLE = {
    "olivia": [roles.MODEL_DEVELOPER], "dan": [roles.MODEL_DEVELOPER],
    "victor": [roles.VALIDATOR], "rita": [roles.RISK_OFFICER, roles.APPROVER],
    "alex": [roles.APPROVER], "ada": [roles.AUDITOR], "ci": [roles.CI_SERVICE],
}


def _password(user) -> str:
    return f"{user.username}-pass-123!"


def _model(people, slug, tier, **fields) -> RegisteredModel:
    values = {"slug": slug, "name": slug.replace("-", " ").capitalize(),
              "purpose": f"Purpose of {slug}", "owner": "olivia", "risk_tier": tier,
              "tier_rationale": "test seed"} | fields
    return create_model(actor=people["rita"], fields=values,
                        ci_accounts=["ci"] if "developer" in values else [],
                        reason="test seed: the state carried over from the old inventory")


def _register(people, model, artifact, dataset=None):
    version, _ = register_version(
        actor=people["ci"], model=model, data=artifact, filename="model.json",
        metadata=VersionMetadata(training_dataset=dataset and dataset.pk,
                                 validation_dataset=dataset and dataset.pk,
                                 metrics={"auc_valid": 0.71}),
        idempotency_key=None, max_bytes=10**9)
    return version


def _evidence(version) -> None:
    for run in version.evidence_runs.filter(status=EvidenceRun.Status.QUEUED):
        assert execute(run).status == "succeeded", run.error


def _into_validation(people, version):
    services.transition(actor=people["olivia"], version=version, action="submit")
    services.transition(actor=people["victor"], version=version, action="start_validation")


def _sign(person, version, kind):
    services.sign_decision(actor=person, version=version, kind=kind, password=_password(person),
                           meaning="decided in the crawl seed", reason="evidence reviewed",
                           conditions=[])


def _approved(people, model, artifact, dataset, deploy=True):
    version = _register(people, model, artifact, dataset)
    _evidence(version)
    _into_validation(people, version)
    if model.risk_tier == 1:
        services.upload_validation_report(actor=people["victor"], version=version, data=PDF,
                                          filename="validation.pdf")
    if model.risk_tier in (1, 2):
        sign_off(people["victor"], version)
    if model.risk_tier == 1:
        _sign(people["rita"], version, "approve")
    _sign(people["alex"], version, "approve")
    if deploy:
        services.transition(actor=people["rita"], version=version, action="deploy")
    return version


def seed(frame, artifacts) -> dict:
    """``artifacts``: two different model files over the frame's features."""
    people = {name: _user(name, *groups, first_name=name.capitalize(), last_name="Seed")
              for name, groups in PEOPLE.items()}
    people["admin"] = User.objects.create_superuser("admin", password="admin-pass-123!")
    for tier in (1, 2):
        policy_in_force(people["rita"], tier, reason="crawl seed",
                        changes={"four_fifths_min": None,
                                 "equal_opportunity_max_difference": None})
    first, second = artifacts
    today = timezone.localdate()
    with override_settings(ASSAY_EVIDENCE_HEARTBEAT_SECONDS=3600):
        dataset = make_dataset(frame, people["ci"], roles={"target": "default",
                                                           "protected": ["sex", "age_years"]})
        team = {"developer": "dan", "validator": "victor"}
        champion = _model(people, "credit-pd-xgb", 1, **team,
                          next_review_date=today + timedelta(days=300))
        _approved(people, champion, first, dataset)
        challenger = _register(people, champion, second, dataset)
        _evidence(challenger)
        _into_validation(people, challenger)
        services.upload_validation_report(actor=people["victor"], version=challenger, data=PDF,
                                          filename="validation.pdf")
        services.raise_finding(actor=people["victor"], version=challenger, severity="high",
                               title="Thin coverage of applicants under 25",
                               description="Unstable", owner=people["olivia"],
                               due_date=today + timedelta(days=30), remediation="More data")

        halted = _approved(people, _model(people, "halted-model", 3, **team), first, dataset)
        services.transition(actor=people["rita"], version=halted, action="halt",
                            reason="scores out of range")
        rolled = _model(people, "rolled-back-model", 3, **team)
        _approved(people, rolled, first, dataset)
        newer = _approved(people, rolled, second, dataset)
        services.transition(actor=people["rita"], version=newer, action="rollback",
                            reason="v2 misbehaves")
        retired = _approved(people, _model(people, "retired-model", 3, **team), first,
                            dataset)
        services.transition(actor=people["olivia"], version=retired, action="retire",
                            reason="replaced")

        rejected = _register(people, _model(people, "rejected-model", 2, **team), first,
                             dataset)
        _evidence(rejected)
        _into_validation(people, rejected)
        _sign(people["rita"], rejected, "reject")
        changes = _register(people, _model(people, "changes-model", 3, **team), first,
                            dataset)
        services.transition(actor=people["olivia"], version=changes, action="submit")
        _sign(people["victor"], changes, "request_changes")
        _register(people, _model(people, "draft-no-data", 3, **team), first)

        _model(people, "card-fraud-vendor", 2, origin="vendor", vendor_name="ScoreCo",
               status="in_production", next_review_date=today - timedelta(days=21))
        _model(people, "collections-priority", 3, status="retired")
    return people
