"""The demo's review history, taken through the same services people use in the browser:
the challenger approved (with a fairness exception where its data needs one) and
deployed with an open finding; the tier-1 model in validation with its report and
a blocking finding."""

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from explain.models import EvidenceRun
from governance.workflow import gates, services
from governance.workflow.policies import current_policy
from registry.models import ModelVersion

REPORT_HTML = """<html><body style="font-family: sans-serif">
<h1>Independent validation report</h1><h2>{model} v{number}</h2>
<p>Scope: conceptual soundness, data, performance, stability, fairness and explainability
of the version with artifact sha256 {sha}.</p>
<p>Conclusion: fit for purpose subject to the findings recorded in Assay.</p>
<p>Validator: Victor Vale, second line model validation.</p></body></html>"""


def wait_for_evidence(version: ModelVersion, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while EvidenceRun.objects.filter(version=version, status__in=EvidenceRun.ACTIVE).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"evidence runs of {version} did not finish in {timeout:.0f}s")
        time.sleep(2)


def _report_pdf(version: ModelVersion) -> bytes:
    from weasyprint import HTML

    return HTML(string=REPORT_HTML.format(model=version.model.name, number=version.number,
                                          sha=version.artifact.sha256)).write_pdf()


def _into_validation(version, people) -> None:
    services.transition(actor=people["olivia"], version=version, action="submit")
    services.transition(actor=people["victor"], version=version, action="start_validation")


# Inputs the owner declares proxies for protected attributes (fair lending check).
PROXIES = {"age": "age in years stands in for the protected age band",
           "personal_status": "German Credit's personal status encodes sex and marital "
                              "status"}


def _mark_proxies(version, people) -> None:
    for feature, reason in PROXIES.items():
        if feature in (version.feature_names or []) and not version.model.proxy_features.filter(
                feature=feature).exists():
            services.mark_proxy_feature(actor=people["olivia"], version=version,
                                        feature=feature, reason=reason)


def _grant_needed_exceptions(version, people) -> None:
    for check in gates.failing_fairness_checks(version,
                                               current_policy(version.model.risk_tier)):
        services.grant_fairness_exception(
            actor=people["rita"], version=version, check_name=check.name,
            justification="Challenger model: no decisions are taken on its output; the gap "
                          "is monitored and must close before any promotion.")


def seed_review_history(passwords: dict[str, str]) -> list[str]:
    people = {u.username: u for u in get_user_model().objects.all()}
    lines = []
    challenger = ModelVersion.objects.get(model__slug="credit-pd-lgbm", number=1)
    champion = ModelVersion.objects.get(model__slug="credit-pd-xgb", number=1)
    for version in (challenger, champion):
        wait_for_evidence(version)
    if challenger.status == ModelVersion.Status.DRAFT:
        _into_validation(challenger, people)
        services.raise_finding(
            actor=people["victor"], version=challenger, severity="medium",
            title="Calibration drifts in the top score decile",
            description="Observed default rate exceeds the predicted PD by 4 points in the "
                        "riskiest decile.", owner=people["dan"],
            due_date=timezone.localdate() + timedelta(days=60),
            remediation="Recalibrate with isotonic regression on the latest vintage.")
        _mark_proxies(challenger, people)
        _grant_needed_exceptions(challenger, people)
        services.sign_off_validation(
            actor=people["victor"], version=challenger, validation_type="initial",
            scope="Conceptual soundness, data, discrimination, stability and fairness on the "
                  "validation sample; the calibration of the top decile is a finding.",
            opinion="fit_with_conditions", rationale="Adequate as a challenger in shadow "
            "mode; the calibration finding must be remediated before any promotion.",
            password=passwords["victor"])
        services.sign_decision(
            actor=people["alex"], version=challenger, kind="approve",
            password=passwords["alex"], reason="Discrimination and stability adequate for a "
            "challenger; calibration finding tracked.",
            meaning="Approved for use as a challenger model in UK consumer lending",
            conditions=[services.ConditionInput("condition", "Shadow mode only: its scores "
                                                "never decide an application.")])
        services.transition(actor=people["rita"], version=challenger, action="deploy")
        lines.append("credit-pd-lgbm v1: approved and deployed (open medium finding)")
    if champion.status == ModelVersion.Status.DRAFT:
        _into_validation(champion, people)
        _mark_proxies(champion, people)
        services.upload_validation_report(actor=people["victor"], version=champion,
                                          data=_report_pdf(champion),
                                          filename="credit-pd-xgb-v1-validation.pdf")
        services.raise_finding(
            actor=people["victor"], version=champion, severity="high",
            title="Thin coverage of applicants under 25",
            description="Only 30 validation rows under 25; the fairness metrics by age are "
                        "unstable.", owner=people["olivia"],
            due_date=timezone.localdate() + timedelta(days=30),
            remediation="Add the 2025 application vintage to the validation set.")
        lines.append("credit-pd-xgb v1: in validation, waiting for rita and alex "
                     "(open high finding)")
    return lines
