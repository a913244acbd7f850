"""Human words for Assay's internal names (statuses, evidence kinds, audit actions), and
links from audit events to the objects they describe. This is the top floor: it may
know every app's models."""

from django import template
from django.urls import reverse

from explain.models import EvidenceRun
from registry.models import ModelVersion, RegisteredModel

register = template.Library()

_CODES = {**dict(ModelVersion.Status.choices), **dict(RegisteredModel.Status.choices),
          **dict(EvidenceRun.Kind.choices), **dict(EvidenceRun.Status.choices)}

ACTIONS = {
    "model.created": "Model added to the inventory",
    "model.updated": "Inventory entry changed",
    "model.reason_texts_set": "Adverse-action texts set",
    "version.registered": "Version registered",
    "version.transitioned": "Version status changed",
    "dataset.uploaded": "Dataset uploaded",
    "evidence_run.requested": "Evidence run requested",
    "evidence_run.not_requested": "Evidence run not requested",
    "evidence_run.started": "Evidence run started",
    "evidence_run.succeeded": "Evidence run succeeded",
    "evidence_run.failed": "Evidence run failed",
    "evidence_run.requeued": "Evidence run requeued",
    "evidence_run.cancelled": "Evidence run cancelled",
    "decision.signed": "Decision signed",
    "finding.raised": "Finding raised",
    "finding.closed": "Finding closed",
    "fairness_exception.granted": "Fairness exception granted",
    "validation_report.uploaded": "Validation report uploaded",
    "policy.revised": "Tier policy revised",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "webhook_endpoint.saved": "Webhook endpoint saved",
    "webhook_endpoint.deleted": "Webhook endpoint deleted",
    "auth.user.seeded": "Demo user created",
    "auth.user.password_set": "Password set by an administrator",
    "auth.user.created": "User created",
    "auth.user.changed": "User changed",
    "auth.user.deleted": "User deleted",
    "auth.group.created": "Role group created",
    "auth.group.changed": "Role group changed",
    "auth.group.deleted": "Role group deleted",
}


def _humanize(code: str) -> str:
    text = str(code).replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def label(code):
    """``in_validation`` -> "In validation", ``evidence:shap`` -> "Evidence: SHAP
    explanations", ``version.transitioned`` -> "Version status changed"."""
    if code is None or code == "":
        return ""
    code = str(code)
    if code in ACTIONS:
        return ACTIONS[code]
    if code in _CODES:
        return str(_CODES[code])
    if code.startswith("evidence:"):
        kind = code.split(":", 1)[1]
        return f"Evidence: {_CODES.get(kind, _humanize(kind))}"
    if code.startswith("blob."):
        return f"Stored file check: {_humanize(code.split('.', 1)[1]).lower()}"
    return _humanize(code)


def _version_url(version_id):
    version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
    return reverse("version", args=[version.model.slug, version.number]) if version else ""


def _finding_url(finding_id):
    from governance.workflow.models import Finding

    finding = Finding.objects.filter(pk=finding_id).values("version_id").first()
    return _version_url(finding["version_id"]) + "#findings" if finding else ""


def _model_url(model_id):
    slug = RegisteredModel.objects.filter(pk=model_id).values_list("slug", flat=True).first()
    return reverse("model", args=[slug]) if slug else ""


def _run_url(run_id):
    return reverse("evidence-run", args=[run_id]) if EvidenceRun.objects.filter(
        pk=run_id).exists() else ""


def _policy_url(policy_id):
    from governance.workflow.models import TierPolicy

    tier = TierPolicy.objects.filter(pk=policy_id).values_list("tier", flat=True).first()
    return reverse("policies") + f"#tier-{tier}" if tier else ""


_TARGETS = {"registry.registeredmodel": _model_url, "registry.modelversion": _version_url,
            "explain.evidencerun": _run_url, "workflow.finding": _finding_url,
            "workflow.tierpolicy": _policy_url}


@register.filter
def target_url(event) -> str:
    """The page of the object an audit event is about, or "" when it has none."""
    resolve = _TARGETS.get(event.target_type)
    if resolve is None or not str(event.target_id).isdigit():
        return ""
    return resolve(int(event.target_id))


@register.filter
def when(value, with_time=True):
    """One date format everywhere ("3 Mar 2026 14:05"), for datetimes, dates and the ISO
    strings kept in signed documents."""
    from datetime import date, datetime

    from django.utils.dateformat import format as date_format
    from django.utils.dateparse import parse_date, parse_datetime

    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value) or value
    if isinstance(value, datetime):
        return date_format(value, "j M Y H:i" if with_time else "j M Y")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return value
