"""Reads for the workflow's pages: the reviewer's queue, the dashboard's lists, a
version's governance record and its comparison with the approved version."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from audit.models import AuditEvent
from governance.workflow import deployability, gates
from governance.workflow.models import Approval, Decision, Finding, ValidationReport
from governance.workflow.policies import current_policy
from governance.workflow.services import may_take, review_round
from registry.models import ModelVersion
from registry.permissions import per_model_roles

S = ModelVersion.Status


def versions():
    return ModelVersion.objects.select_related("model", "artifact", "registered_by")


def waiting_for(user) -> list[tuple[ModelVersion, str]]:
    """Versions where ``user`` has the next step: (version, what to do)."""
    queue = []
    candidates = versions().filter(status__in=(S.SUBMITTED, S.IN_VALIDATION, S.DRAFT,
                                               S.CHANGES_REQUESTED)).order_by("created_at")
    for version in candidates[:500]:
        if version.status == S.SUBMITTED and may_take(user, version, "start_validation"):
            queue.append((version, "Start validation"))
        elif version.status == S.IN_VALIDATION and may_take(user, version, "approve") and \
                not Decision.objects.filter(version=version, round=review_round(version),
                                            signer=user).exists():
            queue.append((version, "Review and sign"))
        elif version.status in (S.DRAFT, S.CHANGES_REQUESTED) and \
                per_model_roles(user, version.model) & {"owner", "developer"}:
            queue.append((version, "Submit for validation"))
    return queue


def overdue_approvals():
    """Serving versions whose approval is past its revalidation date (newest approval)."""
    now = timezone.now()
    latest = Approval.objects.filter(version__status__in=deployability.SERVING).select_related(
        "version__model").order_by("version", "-approved_at")
    seen, overdue = set(), []
    for approval in latest:
        if approval.version_id in seen:
            continue
        seen.add(approval.version_id)
        if approval.expires_at < now:
            overdue.append(approval)
    return sorted(overdue, key=lambda a: a.expires_at)


def overdue_reviews():
    """Inventory entries past their review date (approvals set it to their expiry)."""
    from registry.selectors import overdue_models

    return overdue_models().select_related("owner").order_by("next_review_date")


def open_findings():
    return Finding.objects.filter(status=Finding.Status.OPEN).select_related(
        "version__model", "owner").order_by("severity", "due_date")


def open_findings_by_severity() -> dict[str, int]:
    counts = dict(open_findings().values_list("severity").annotate(n=Count("id")).order_by())
    return {label: counts.get(value, 0) for value, label in Finding.Severity.choices}


def failing_fairness_gates() -> list[tuple[ModelVersion, list[gates.GateCheck]]]:
    """Versions under review or serving whose fairness checks fail today's policy."""
    failing = []
    for version in versions().filter(status__in=(S.IN_VALIDATION, S.SUBMITTED,
                                                 *deployability.SERVING)).select_related(
            "validation_dataset__blob", "training_dataset__blob")[:200]:
        bad = gates.failing_fairness_checks(version, current_policy(version.model.risk_tier))
        if bad:
            failing.append((version, bad))
    return failing


def recently_halted(days: int = 30):
    since = timezone.now() - timedelta(days=days)
    return AuditEvent.objects.filter(action="version.transitioned", after__action="halt",
                                     timestamp__gte=since).order_by("-sequence")[:20]


@dataclass(frozen=True)
class Delta:
    label: str
    this: float | None
    other: float | None

    @property
    def change(self) -> float | None:
        if self.this is None or self.other is None:
            return None
        return self.this - self.other


def _summary(version, kind) -> dict:
    run = gates.bound_run(version, kind)
    return run.summary if run else {}


def comparison(version: ModelVersion, other: ModelVersion) -> dict:
    """Metric, fairness and top-feature deltas between ``version`` and ``other``."""
    metrics = []
    this, that = _summary(version, "performance"), _summary(other, "performance")
    for name in ("auc", "gini", "ks", "brier"):
        metrics.append(Delta(name.upper() if name != "brier" else "Brier score",
                             this.get("metrics", {}).get(name), that.get("metrics", {}).get(name)))
    fairness = []
    this, that = _summary(version, "fairness"), _summary(other, "fairness")

    def per_attribute(summary):
        return {g["attributes"][0]: g["summary"] for g in summary.get("groupings", [])
                if len(g["attributes"]) == 1}

    mine, theirs = per_attribute(this), per_attribute(that)
    for attribute in sorted(set(mine) | set(theirs)):
        for metric, label in (("demographic_parity_ratio", "approval-rate ratio"),
                              ("equal_opportunity_difference", "equal opportunity gap")):
            fairness.append(Delta(f"{attribute}: {label}", mine.get(attribute, {}).get(metric),
                                  theirs.get(attribute, {}).get(metric)))

    def ranking(summary):
        method = summary.get("methods", {}).get(summary.get("primary", ""), {})
        return list(method.get("importance", {}))

    mine_rank, their_rank = ranking(_summary(version, "shap")), ranking(_summary(other, "shap"))
    features = [{"feature": name, "rank": index + 1,
                 "other_rank": their_rank.index(name) + 1 if name in their_rank else None}
                for index, name in enumerate(mine_rank[:8])]
    return {"metrics": metrics, "fairness": fairness, "features": features}


def reports_of(version: ModelVersion):
    """Newest first: the first is the report in force (gates.current_report)."""
    return ValidationReport.objects.filter(version=version).select_related(
        "blob", "uploaded_by").order_by("-uploaded_at", "-id")


def report_of(version: ModelVersion, report_id: int) -> ValidationReport | None:
    return reports_of(version).filter(pk=report_id).first()


def decisions_of(version: ModelVersion):
    return Decision.objects.filter(version=version).prefetch_related("conditions").order_by(
        "signed_at")


def version_audit_excerpt(version: ModelVersion, limit: int = 15):
    return AuditEvent.objects.filter(Q(target_type="registry.modelversion",
                                       target_id=str(version.pk))).order_by("-sequence")[:limit]
