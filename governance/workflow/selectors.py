"""Reads for the workflow's pages: the reviewer's queue, the dashboard's lists, a
version's governance record and its comparison with the approved version."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import verify_chain
from governance.workflow import deployability, gates
from governance.workflow.models import Approval, Decision, Finding, ValidationReport
from governance.workflow.permissions import can_sign_off_validation
from governance.workflow.policies import current_policy, pending_revision
from governance.workflow.services import may_take, review_round
from registry.models import ModelVersion, RegisteredModel, RiskTier
from registry.roles import APPROVER, AUDITOR, RISK_OFFICER, VALIDATOR, role_names

S = ModelVersion.Status


def versions():
    return ModelVersion.objects.select_related("model", "artifact", "registered_by")


@dataclass
class QueueItem:
    title: str
    url: str
    step: str
    note: str = ""
    overdue: bool = False


@dataclass
class Queue:
    role: str
    heading: str
    items: list[QueueItem]
    empty: str = "Nothing waits for you here."


def _version_url(version, anchor=""):
    return reverse("version", args=[version.model.slug, version.number]) + anchor


def _finding_item(finding: Finding, step: str) -> QueueItem:
    version = finding.version
    return QueueItem(f"{finding.get_severity_display()}: {finding.title}",
                     _version_url(version, "#findings"), step,
                     f"{version.model.name} v{version.number} · due {finding.due_date:%d %b %Y}",
                     overdue=finding.due_date < timezone.localdate())


def role_queues(user) -> list[Queue]:
    """What waits for ``user``, per role they hold: the validator's versions to validate
    and findings to verify; the owner's and developer's findings, changes requested and
    overdue reviews; the approver's signatures; the risk officer's policy proposals;
    the auditor's chain status."""

    names = role_names(user)
    queues = []
    validated = RegisteredModel.objects.filter(validator=user)
    if VALIDATOR in names or validated.exists():
        items = []
        for version in versions().filter(status__in=(S.SUBMITTED, S.IN_VALIDATION)).order_by(
                "created_at")[:200]:
            if version.status == S.SUBMITTED and may_take(user, version, "start_validation"):
                items.append(QueueItem(f"{version.model.name} v{version.number}",
                                       _version_url(version), "Start validation",
                                       f"Tier {version.model.risk_tier}"))
            elif version.status == S.IN_VALIDATION and can_sign_off_validation(
                    user, version.model) and not version.signoffs.filter(
                    round=review_round(version)).exists():
                items.append(QueueItem(f"{version.model.name} v{version.number}",
                                       _version_url(version, "#signoff"),
                                       "Validate and sign off",
                                       f"Tier {version.model.risk_tier}"))
        scope = Q(version__model__validator=user) | Q(raised_by=user)
        items += [_finding_item(f, "Verify the remediation")
                  for f in open_findings().filter(scope)[:100]]
        queues.append(Queue("Validator", "To validate and verify", items))
    owned = RegisteredModel.objects.filter(Q(owner=user) | Q(developer=user))
    if owned.exists() or open_findings().filter(owner=user).exists():
        items = [_finding_item(f, "Remediate") for f in open_findings().filter(owner=user)]
        for version in versions().filter(model__in=owned, status__in=(
                S.CHANGES_REQUESTED, S.DRAFT)).order_by("created_at")[:100]:
            step = ("Make the changes asked for, then resubmit"
                    if version.status == S.CHANGES_REQUESTED else "Submit for validation")
            items.append(QueueItem(f"{version.model.name} v{version.number}",
                                   _version_url(version), step,
                                   version.get_status_display()))
        today = timezone.localdate()
        for model in owned.filter(next_review_date__lt=today).order_by("next_review_date"):
            items.append(QueueItem(model.name, reverse("model", args=[model.slug]),
                                   "Revalidation overdue: register or submit a version",
                                   f"review was due {model.next_review_date:%d %b %Y}",
                                   overdue=True))
        queues.append(Queue("Owner / developer", "Your models and findings", items))
    if names & {APPROVER, RISK_OFFICER}:
        items = []
        for version in versions().filter(status=S.IN_VALIDATION).order_by("created_at")[:200]:
            if may_take(user, version, "approve") and not Decision.objects.filter(
                    version=version, round=review_round(version), signer=user).exists():
                items.append(QueueItem(f"{version.model.name} v{version.number}",
                                       _version_url(version, "#actions"), "Review and sign",
                                       f"Tier {version.model.risk_tier}"))
        if RISK_OFFICER in names:
            for tier in RiskTier.values:
                proposal = pending_revision(tier)
                if proposal and proposal.created_by_id != user.pk:
                    items.append(QueueItem(f"Tier {tier} policy revision {proposal.revision}",
                                           reverse("policies") + f"#tier-{tier}",
                                           "Approve or reject (maker-checker)",
                                           f"proposed by {proposal.created_by.username}"))
        queues.append(Queue("Approver", "Signatures due", items))
    if AUDITOR in names:
        head = AuditEvent.objects.order_by("-sequence").first()
        broken = verify_chain()
        note = (f"Chain broken at {broken}" if broken else
                f"Verified up to event #{head.sequence} ({head.timestamp:%d %b %Y %H:%M} UTC)"
                if head else "No events yet")
        queues.append(Queue("Auditor", "Nothing to do: the audit chain", [
            QueueItem("Audit chain", reverse("audit-search"), "Read only", note,
                      overdue=bool(broken))]))
    return queues


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


SEVERITY_RANK = Case(*(When(severity=value, then=Value(rank))
                       for rank, value in enumerate(Finding.Severity.values)),
                     output_field=IntegerField())


def by_severity(findings):
    """High, then medium, then low (not alphabetical); open first, soonest due first."""
    return findings.annotate(severity_rank=SEVERITY_RANK).order_by(
        Case(When(status=Finding.Status.OPEN, then=Value(0)), default=Value(1)),
        "severity_rank", "due_date", "id")


def open_findings():
    return by_severity(Finding.objects.filter(status=Finding.Status.OPEN).select_related(
        "version__model", "owner"))


def overdue_findings():
    return open_findings().filter(due_date__lt=timezone.localdate())


def findings_of(version: ModelVersion):
    """This version's findings and the still-open ones of earlier versions of the same
    model (carried forward until closed), most severe first."""
    return by_severity(Finding.objects.filter(
        Q(version=version) | Q(version__model=version.model_id,
                               version__number__lt=version.number,
                               status=Finding.Status.OPEN)).select_related(
        "version", "owner", "raised_by", "closed_by"))


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
    higher_is_better: bool = True

    @property
    def change(self) -> float | None:
        if self.this is None or self.other is None:
            return None
        return self.this - self.other

    @property
    def verdict(self) -> str:
        """'better', 'worse' or '' (no change, or not comparable)."""
        change = self.change
        if not change:
            return ""
        return "better" if (change > 0) == self.higher_is_better else "worse"


def _summary(version, kind) -> dict:
    run = gates.bound_run(version, kind)
    return run.summary if run else {}


def comparison(version: ModelVersion, other: ModelVersion) -> dict:
    """Metric, fairness and top-feature deltas between ``version`` and ``other``."""
    metrics = []
    this, that = _summary(version, "performance"), _summary(other, "performance")
    for name, label, higher in (("auc", "AUC", True), ("gini", "Gini", True),
                                ("ks", "KS", True), ("brier", "Brier score", False),
                                ("log_loss", "Log loss", False)):
        metrics.append(Delta(label, this.get("metrics", {}).get(name),
                             that.get("metrics", {}).get(name), higher))
    fairness = []
    this, that = _summary(version, "fairness"), _summary(other, "fairness")

    def per_attribute(summary):
        return {g["attributes"][0]: g["summary"] for g in summary.get("groupings", [])
                if len(g["attributes"]) == 1}

    mine, theirs = per_attribute(this), per_attribute(that)
    for attribute in sorted(set(mine) | set(theirs)):
        for metric, label, higher in (
                ("demographic_parity_ratio", "approval-rate ratio", True),
                ("equal_opportunity_difference", "equal opportunity gap", False)):
            fairness.append(Delta(f"{attribute}: {label}", mine.get(attribute, {}).get(metric),
                                  theirs.get(attribute, {}).get(metric), higher))

    def ranking(summary):
        method = summary.get("methods", {}).get(summary.get("primary", ""), {})
        return list(method.get("importance", {}))

    mine_rank, their_rank = ranking(_summary(version, "shap")), ranking(_summary(other, "shap"))
    features = [{"feature": name, "rank": index + 1,
                 "other_rank": their_rank.index(name) + 1 if name in their_rank else None}
                for index, name in enumerate(mine_rank[:8])]
    mine_inputs, their_inputs = version.feature_names or [], other.feature_names or []
    return {"metrics": metrics, "fairness": fairness, "features": features,
            "added": [name for name in mine_inputs if name not in their_inputs],
            "removed": [name for name in their_inputs if name not in mine_inputs]}


def comparable_versions(version: ModelVersion):
    """Approved or deployed versions of any model (a challenger against another
    model's champion), for the comparison's chooser."""
    return versions().filter(status__in=deployability.SERVING).exclude(pk=version.pk).order_by(
        "model__name", "-number")


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
