"""Pages for risk officers and validators. Every action is a plain form POST (works
without JavaScript); a button is shown only to whoever may use it, and the view
refuses the POST anyway when they may not."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from explain import selectors as explain_selectors
from explain import services as evidence_services
from explain.models import EvidenceRun
from explain.permissions import can_request_evidence
from explain.views import readable_version, version_context
from governance.workflow import deployability, gates, integrity, selectors, services
from governance.workflow.api.views import parse_as_of
from governance.workflow.errors import GateFailed, InvalidWorkflowInput
from governance.workflow.models import (
    Condition,
    Decision,
    Finding,
    TierPolicy,
    ValidationSignOff,
)
from governance.workflow.permissions import (
    can_accept_risk,
    can_edit_policy,
    can_raise_finding,
    can_sign_off_validation,
    can_upload_validation_report,
    can_view_workflow,
)
from governance.workflow.policies import (
    POLICY_FIELDS,
    current_policy,
    history_with_diffs,
    pending_revision,
    scheduled_revisions,
)
from governance.workflow.transitions import TRANSITIONS
from registry import selectors as registry_selectors
from registry.errors import PayloadTooLarge, RegistryError
from registry.models import Dataset, ModelVersion, RiskTier
from registry.permissions import per_model_roles
from registry.views import model_context

MEANINGS = {
    "approve": "Approved for production use within the documented purpose and conditions",
    "reject": "Rejected: not fit for production use",
    "request_changes": "Returned to the developers: changes required before approval",
}


def _require_viewer(request) -> None:
    if not can_view_workflow(request.user):
        raise PermissionDenied("You have no role that may read the model inventory.")


def _version_workflow(request, version) -> dict:
    user = request.user
    policy = current_policy(version.model.risk_tier)
    round_ = services.review_round(version)
    states = deployability.version_states(version.model)
    answer = deployability.model_answer(version.model, states=states)
    reference = answer.version if answer.version and answer.version.id != version.pk else None
    reference_version = (registry_selectors.version_of(version.model, reference.number)
                         if reference and reference.status in deployability.SERVING else None)
    chosen = request.GET.get("compare", "")
    if chosen.isdigit() and len(chosen) < 19:  # any approved version of any model
        reference_version = selectors.comparable_versions(version).filter(
            pk=int(chosen)).first() or reference_version
    already_signed = Decision.objects.filter(version=version, round=round_,
                                             signer=user).exists()
    actions = [step for step in TRANSITIONS.values()
               if version.status in step.sources and services.may_take(user, version,
                                                                       step.action)
               and not (step.signed and already_signed)]
    bound = gates.bound_runs(version)
    bound_ids = {run.pk for run in bound.values()}
    return {
        "policy": policy,
        "gate": gates.approval_gates(version, policy, bound),
        # The evidence tabs show the runs the gate checks and a signature binds; other
        # succeeded runs (another dataset, older inputs) are listed apart with their dataset.
        "latest": bound,
        "bound_dataset": gates.evaluation_dataset(version),
        "other_runs": explain_selectors.runs_of_version(version).filter(
            status=EvidenceRun.Status.SUCCEEDED).exclude(pk__in=bound_ids)[:50],
        "decisions": selectors.decisions_of(version),
        "approval": version.approvals.order_by("-approved_at").first(),
        "progress": services.approval_progress(version)
        if version.status == version.Status.IN_VALIDATION else "",
        "conditions": Condition.objects.filter(version=version),
        "findings": selectors.findings_of(version),
        "reports": selectors.reports_of(version),
        "actions": actions,
        "version_answer": deployability.version_answer(version, states=states),
        "reference_version": reference_version,
        "comparison": selectors.comparison(version, reference_version)
        if reference_version else None,
        "comparable": selectors.comparable_versions(version)[:100],
        "audit_excerpt": selectors.version_audit_excerpt(version),
        "record_mismatches": integrity.record_mismatches(
            ModelVersion.objects.filter(pk=version.pk)),
        "can_raise_finding": can_raise_finding(user, version.model),
        "can_accept_risk": can_accept_risk(user),
        "can_upload_report": can_upload_validation_report(user, version.model),
        "can_mark_proxy": can_accept_risk(user) or "owner" in per_model_roles(user,
                                                                             version.model),
        "proxies": version.model.proxy_features.select_related("marked_by"),
        "signoffs": version.signoffs.select_related("signer"),
        "signoff_due": version.status == version.Status.IN_VALIDATION
        and can_sign_off_validation(user, version.model)
        and not version.signoffs.filter(round=round_).exists(),
        "users": services.finding_owners(version.model),
        "today": date.today(),
    }


@dataclass(frozen=True)
class Remedy:
    """One way out of a failing check, for the person looking at it: a link, or a
    form that starts the missing run."""

    check: gates.GateCheck
    text: str
    href: str = ""
    start_kind: str = ""  # a POST to start this evidence run


def remedies(request, version, gate: gates.GateReport) -> list[Remedy]:
    user, model = request.user, version.model
    base = reverse("version", args=[model.slug, version.number])
    may_run, risk_officer = can_request_evidence(user, model), can_accept_risk(user)
    found = []
    for check in gate.failures:
        name = check.name
        if name.startswith("evidence:") or name == "fairness":
            kind = name.partition(":")[2] or "fairness"
            label = EvidenceRun.Kind(kind).label.lower() if kind in EvidenceRun.Kind.values \
                else kind
            found.append(Remedy(check, f"Start the {label} run", start_kind=kind) if may_run
                         else Remedy(check, f"The model's developers start the {label} run."))
        elif check.waivable:
            found.append(Remedy(check, "Grant a fairness exception with a written "
                                       "justification", f"{base}#exception-{name}")
                         if risk_officer else
                         Remedy(check, "Only a risk officer may grant an exception."))
        elif name == "findings":
            found.append(Remedy(check, "Accept the finding as a risk, or confirm its "
                                       "remediation", f"{base}#findings")
                         if risk_officer or can_raise_finding(user, model) else
                         Remedy(check, "The finding's owner remediates it; a risk officer "
                                       "may accept it as a risk.", f"{base}#findings"))
        elif name == "validation_report":
            found.append(Remedy(check, "Upload the validation report", f"{base}#reports")
                         if can_upload_validation_report(user, model) else
                         Remedy(check, "Waiting for the validator's report."))
        elif name == "validation_signoff":
            found.append(Remedy(check, "Sign off the validation", reverse(
                "version-signoff", args=[model.slug, version.number]))
                if can_sign_off_validation(user, model) else
                Remedy(check, "Waiting for the validator's sign-off."))
        else:
            found.append(Remedy(check, "See the policy checks", f"{base}#gate"))
    return found


# Actions that take a live version out of service ask for an explicit confirmation.
CONFIRMED_ACTIONS = ("halt", "rollback", "retire")


def _render_version(request, version, status=200, **extra):
    context = (version_context(request, version) | _version_workflow(request, version)
               | {"confirm_actions": CONFIRMED_ACTIONS} | extra)
    context["blockers"] = remedies(request, version, context["gate"])
    return render(request, "workflow/version.html", context, status=status)


@login_required
def version_page(request, slug, number):
    version = readable_version(request, slug, number)
    if request.headers.get("HX-Request"):
        return render(request, "explain/_runs_table.html", version_context(request, version))
    return _render_version(request, version)


@login_required
@require_POST
def start_evidence_run(request, slug, number):
    version = readable_version(request, slug, number)
    if not can_request_evidence(request.user, version.model):
        raise PermissionDenied("You may not start evidence runs for this model.")
    dataset_id = request.POST.get("dataset", "")
    dataset = (Dataset.objects.filter(pk=int(dataset_id)).first()
               if dataset_id.isdigit() and len(dataset_id) < 18 else None) \
        or version.validation_dataset or version.training_dataset
    try:
        if dataset is None:
            raise RegistryError("Choose a dataset: this version has none registered.")
        run, _ = evidence_services.request_run(actor=request.user, version=version,
                                               kind=request.POST.get("kind", ""),
                                               dataset=dataset, trigger="web")
    except RegistryError as error:
        return _render_version(request, version, status=422, form_error=error.detail,
                               chosen_kind=request.POST.get("kind", ""))
    messages.success(request, f"{run.get_kind_display()} run requested on {dataset.name}.")
    return redirect("evidence-run", run_id=run.pk)


def _refused(request, version, error: RegistryError, **extra):
    if error.status == 403:
        raise PermissionDenied(error.detail)
    return _render_version(request, version, status=error.status, action_error=error.detail,
                           **extra)


@login_required
@require_POST
def take_action(request, slug, number, action):
    version = readable_version(request, slug, number)
    step = TRANSITIONS.get(action)
    if step is None or step.signed or not services.may_take(request.user, version, action):
        raise PermissionDenied("You may not take this action on this version.")
    if action in CONFIRMED_ACTIONS and request.POST.get("confirm") != "yes":
        return _render_version(request, version, status=422, action_error=(
            f"{step.label}: tick the box to confirm; nothing was changed."))
    try:
        services.transition(actor=request.user, version=version, action=action,
                            reason=request.POST.get("reason", "")[:5000])
    except RegistryError as error:
        return _refused(request, version, error)
    messages.success(request, f"{step.label}: done for v{number}.")
    return redirect("version", slug=slug, number=number)


def _conditions(post) -> list[services.ConditionInput]:
    found = []
    for kind in Condition.Kind.values:
        for line in post.get(f"{kind}s", "").splitlines():
            if line.strip():
                found.append(services.ConditionInput(kind, line.strip()))
    return found


@login_required
def sign_page(request, slug, number, kind):
    """The signature dialog: a page of its own, so it works without JavaScript."""
    version = readable_version(request, slug, number)
    if kind not in Decision.Kind.values or not services.may_take(request.user, version, kind):
        raise PermissionDenied("You may not sign this decision on this version.")
    policy = current_policy(version.model.risk_tier)
    context = {"version": version, "model": version.model, "kind": kind,
               "label": TRANSITIONS[kind].label, "policy": policy,
               "gate": gates.approval_gates(version, policy) if kind == "approve" else None,
               "meaning": MEANINGS[kind], "reason": "", "conditions": "", "overlays": ""}
    if context["gate"] is not None and not context["gate"].passed:
        # Refused up front: no password asked for a signature that cannot be accepted.
        return _blocked(request, version, context)
    if request.method == "POST":
        context |= {"meaning": request.POST.get("meaning", ""),
                    "reason": request.POST.get("reason", ""),
                    "conditions": request.POST.get("conditions", ""),
                    "overlays": request.POST.get("overlays", "")}
        try:
            services.sign_decision(actor=request.user, version=version, kind=kind,
                                   password=request.POST.get("password", ""),
                                   meaning=context["meaning"][:300],
                                   reason=context["reason"][:5000],
                                   conditions=_conditions(request.POST))
        except RegistryError as error:
            if error.status == 403 and error.extra.get("rule"):
                raise PermissionDenied(error.detail) from None
            if isinstance(error, GateFailed):  # the gate changed while the page was open
                context["gate"] = gates.approval_gates(version, policy)
                return _blocked(request, version, context)
            context |= {"error": error.detail, "error_field": error.extra.get("field", "")}
            response = render(request, "workflow/sign.html", context, status=error.status)
            if "retry_after" in error.extra:
                response["Retry-After"] = str(error.extra["retry_after"])
            return response
        messages.success(request, f"Your signature ({TRANSITIONS[kind].label.lower()}) is "
                                  "recorded.")
        return redirect("version", slug=slug, number=number)
    return render(request, "workflow/sign.html", context)


def _blocked(request, version, context):
    context |= {"blocked": True, "blockers": remedies(request, version, context["gate"])}
    return render(request, "workflow/sign.html", context, status=GateFailed.status)


@login_required
def signoff_page(request, slug, number):
    """The validator's 'validation complete': type, scope, opinion, rationale, password."""
    version = readable_version(request, slug, number)
    if not can_sign_off_validation(request.user, version.model):
        raise PermissionDenied("Only the model's validator or a validator signs off a "
                               "validation.")
    fields = ("validation_type", "scope", "opinion", "rationale")
    context = dict.fromkeys(fields, "") | {
               "version": version, "model": version.model,
               "types": ValidationSignOff.Type.choices,
               "opinions": ValidationSignOff.Opinion.choices,
               "validation_type": _default_validation_type(version)} | {
        name: request.POST.get(name, "") for name in fields if request.method == "POST"}
    if request.method == "POST":
        try:
            services.sign_off_validation(actor=request.user, version=version,
                                         password=request.POST.get("password", ""),
                                         **{name: context.get(name, "")[:5000]
                                            for name in fields})
        except RegistryError as error:
            if error.status == 403 and error.extra.get("rule"):
                raise PermissionDenied(error.detail) from None
            context |= {"error": error.detail, "error_field": error.extra.get("field", "")}
            return render(request, "workflow/signoff.html", context, status=error.status)
        messages.success(request, "Validation signed off.")
        return redirect(reverse("version", args=[slug, number]) + "#signoff")
    return render(request, "workflow/signoff.html", context)


def _default_validation_type(version) -> str:
    """Initial for a model's first approval, a change for later versions."""
    earlier = version.model.versions.filter(number__lt=version.number,
                                            approvals__isnull=False).exists()
    return ValidationSignOff.Type.CHANGE if earlier else ValidationSignOff.Type.INITIAL


@login_required
@require_POST
def raise_finding(request, slug, number):
    version = readable_version(request, slug, number)
    if not can_raise_finding(request.user, version.model):
        raise PermissionDenied("Only validators and risk officers raise findings.")
    post = request.POST
    owner_id = post.get("owner", "").strip()
    owner = (get_user_model().objects.filter(pk=int(owner_id)).first()
             if owner_id.isdigit() and len(owner_id) < 18 else None)
    try:
        due = date.fromisoformat(post.get("due_date", ""))
    except ValueError:
        due = None
    try:
        if owner is None or due is None:
            raise InvalidWorkflowInput("A finding needs an owner and a due date.",
                                                field="owner" if owner is None else "due_date")
        services.raise_finding(actor=request.user, version=version,
                               severity=post.get("severity", ""), title=post.get("title", ""),
                               description=post.get("description", ""), owner=owner,
                               due_date=due, remediation=post.get("remediation", ""),
                               backdate_reason=post.get("backdate_reason", "")[:2000])
    except RegistryError as error:
        return _refused(request, version, error, finding_error=error.detail)
    messages.success(request, "Finding raised; its owner sees it in their queue.")
    return redirect(reverse("version", args=[slug, number]) + "#findings")


@login_required
@require_POST
def close_finding(request, finding_id):
    _require_viewer(request)
    finding = get_object_or_404(Finding.objects.select_related("version__model"), pk=finding_id)
    version = finding.version
    try:
        services.close_finding(actor=request.user, finding=finding,
                               status=request.POST.get("status", ""),
                               note=request.POST.get("note", "")[:5000])
    except RegistryError as error:
        return _refused(request, version, error)
    messages.success(request, "Finding closed.")
    return redirect(reverse("version", args=[version.model.slug, version.number]) + "#findings")


@login_required
@require_POST
def upload_report(request, slug, number):
    version = readable_version(request, slug, number)
    if not can_upload_validation_report(request.user, version.model):
        raise PermissionDenied("Only validators and risk officers upload validation reports.")
    upload = request.FILES.get("report")
    try:
        if upload is None:
            raise InvalidWorkflowInput("Choose a PDF file.", field="report")
        if upload.size > services.MAX_REPORT_BYTES:
            raise PayloadTooLarge(f"The report is {upload.size} bytes; the limit is "
                                           f"{services.MAX_REPORT_BYTES}.")
        services.upload_validation_report(actor=request.user, version=version,
                                          data=upload.read(), filename=upload.name)
    except RegistryError as error:
        return _refused(request, version, error)
    messages.success(request, "Validation report uploaded.")
    return redirect(reverse("version", args=[slug, number]) + "#gate")


@login_required
def download_report(request, slug, number, report_id):
    """The validation report, for whoever may read the version; each download is audited."""
    version = readable_version(request, slug, number)
    report = selectors.report_of(version, report_id)
    if report is None:
        raise Http404(f"No validation report {report_id} on this version")
    try:
        data = services.record_report_download(actor=request.user, report=report)
    except RegistryError as error:  # the stored file no longer matches its sha256
        return _refused(request, version, error)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, report.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def mark_proxy(request, slug, number):
    version = readable_version(request, slug, number)
    if not (can_accept_risk(request.user)
            or "owner" in per_model_roles(request.user, version.model)):
        raise PermissionDenied("The model's owner or a risk officer marks proxies.")
    try:
        services.mark_proxy_feature(actor=request.user, version=version,
                                    feature=request.POST.get("feature", "")[:200],
                                    reason=request.POST.get("reason", "")[:2000])
    except RegistryError as error:
        return _refused(request, version, error, proxy_error=error.detail)
    messages.success(request, "Feature marked as a proxy for a protected attribute.")
    return redirect(reverse("version", args=[slug, number]) + "#fair-lending")


@login_required
@require_POST
def grant_exception(request, slug, number):
    version = readable_version(request, slug, number)
    if not can_accept_risk(request.user):
        raise PermissionDenied("Only a risk officer may grant a fairness exception.")
    try:
        services.grant_fairness_exception(
            actor=request.user, version=version, check_name=request.POST.get("check", ""),
            justification=request.POST.get("justification", "")[:5000])
    except RegistryError as error:
        return _refused(request, version, error)
    messages.success(request, "Fairness exception granted.")
    return redirect(reverse("version", args=[slug, number]) + "#gate")


@login_required
def model_page(request, slug):
    _require_viewer(request)
    model = registry_selectors.model_by_slug(slug)
    if model is None:
        raise Http404(f"No model {slug}")
    as_of_error = ""
    try:
        at = parse_as_of(request.GET.get("as_of", "").strip())
    except ValidationError:
        at, as_of_error = None, "Give a date (2026-03-03) or a date-time with a time zone."
    if at is not None and at > timezone.now():
        # The trail only knows the past: a future moment would be a guess, not a record.
        at, as_of_error = None, ("That moment is in the future: the record cannot say what "
                                 "the state will be. Showing today.")
    states = deployability.version_states(model, at)
    context = model_context(model)
    if at is not None:  # the whole page as of that moment; today's record labelled apart
        context["timeline"] = registry_selectors.model_timeline(model, until=at)
    return render(request, "workflow/model.html", context | {
        "as_of": at, "as_of_raw": request.GET.get("as_of", ""), "as_of_error": as_of_error,
        "gate": deployability.model_answer(model, at, states=states),
        "states": states,
        "status_timeline": deployability.status_timeline(model),
        "record_mismatches": integrity.record_mismatches(model.versions.all()),
    })


@login_required
def dashboard(request):
    _require_viewer(request)
    queues = selectors.role_queues(request.user)
    return render(request, "workflow/dashboard.html", {
        "queues": queues,
        "waiting": [item for queue in queues for item in queue.items
                    if queue.role != "Auditor"],
        "overdue_findings": selectors.overdue_findings().count(),
        "today": date.today(),
        "overdue": selectors.overdue_approvals(),
        "overdue_reviews": selectors.overdue_reviews(),
        "findings": selectors.open_findings()[:20],
        "finding_counts": selectors.open_findings_by_severity(),
        "fairness": selectors.failing_fairness_gates(),
        "halted": selectors.recently_halted(),
    })


def _policy_changes(post) -> dict:
    changes = {}
    for name in POLICY_FIELDS:
        field = TierPolicy._meta.get_field(name)
        if name == "required_evidence":
            changes[name] = post.getlist(name)
        elif field.get_internal_type() == "BooleanField":
            changes[name] = post.get(name) == "on"
        else:
            raw = post.get(name, "").strip()
            try:
                changes[name] = (None if raw == "" and field.null
                                 else (float(raw) if field.get_internal_type() == "FloatField"
                                       else int(raw)))
            except ValueError:
                raise InvalidWorkflowInput(f"{field.verbose_name}: {raw!r} is not a "
                                                    "number.", field=name) from None
    return changes


def _effective_at(post):
    raw = post.get("effective_at", "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidWorkflowInput("Give the effective date as a date (2027-01-01).",
                                   field="effective_at") from None
    return timezone.make_aware(datetime.combine(day, time.min), UTC)


@login_required
def policies_page(request):
    _require_viewer(request)
    error, status, error_tier = "", 200, None
    if request.method == "POST":
        if not can_edit_policy(request.user):
            raise PermissionDenied("Only risk officers may change tier policies.")
        raw_tier = request.POST.get("tier", "").strip()
        tier = int(raw_tier) if raw_tier.isdigit() and len(raw_tier) < 3 else 0
        if tier not in RiskTier.values:
            raise Http404("No such tier")
        try:
            decision = request.POST.get("decision", "")
            if decision in ("approve", "reject"):
                proposal = pending_revision(tier)
                if proposal is None:
                    raise InvalidWorkflowInput("No revision of this tier awaits a decision.",
                                               field="decision")
                services.decide_policy_revision(actor=request.user, policy=proposal,
                                                approve=decision == "approve",
                                                reason=request.POST.get("reason", "")[:2000])
                messages.success(request, f"Tier {tier} revision {proposal.revision} "
                                          f"{'approved' if decision == 'approve' else 'rejected'}.")
            else:
                proposal = services.revise_policy(
                    actor=request.user, tier=tier, changes=_policy_changes(request.POST),
                    reason=request.POST.get("reason", "")[:2000],
                    effective_at=_effective_at(request.POST))
                messages.success(request, f"Tier {tier} revision {proposal.revision} proposed: "
                                          "a second risk officer must approve it.")
            return redirect(reverse("policies") + f"#tier-{tier}")
        except RegistryError as refused:
            if refused.status == 403:
                raise PermissionDenied(refused.detail) from None
            # Not ``error``: Python unbinds the except target when the block ends.
            error, status, error_tier = f"Tier {tier}: {refused.detail}", refused.status, tier
    return render(request, "workflow/policies.html", {
        "tiers": [{"tier": tier, "label": label, "policy": current_policy(tier),
                   "pending": pending_revision(tier),
                   "scheduled": list(scheduled_revisions(tier)),
                   "history": history_with_diffs(tier)}
                  for tier, label in RiskTier.choices],
        "kinds": EvidenceRun.Kind.choices, "can_edit": can_edit_policy(request.user),
        "error": error, "error_tier": error_tier}, status=status)
