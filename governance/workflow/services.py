"""Every change of the governance record: status transitions, signed decisions,
policy revisions, findings, exceptions, validation reports, halt and rollback.

Each function checks permission and separation of duties, writes in one
transaction with its audit event, and notifies (e-mail, webhooks) after commit.
"""

from dataclasses import dataclass
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import signature_lockout
from accounts.services import clear_signature_failures, note_failed_signature
from audit.models import AuditEvent
from audit.services import record_event
from explain.models import EvidenceRun
from governance.workflow import gates, integrity, notifications
from governance.workflow.deployability import version_answer, version_states
from governance.workflow.errors import (
    GateFailed,
    InvalidWorkflowInput,
    NotDeployable,
    SeparationOfDuties,
    SignatureRefused,
    SignatureThrottled,
    TransitionNotAllowed,
)
from governance.workflow.models import (
    Approval,
    Condition,
    Decision,
    FairnessException,
    Finding,
    ProxyFeature,
    TierPolicy,
    ValidationReport,
    ValidationSignOff,
)
from governance.workflow.permissions import (
    can_accept_risk,
    can_edit_policy,
    can_raise_finding,
    can_sign_off_validation,
    can_upload_validation_report,
)
from governance.workflow.policies import POLICY_FIELDS, current_policy, pending_revision
from governance.workflow.rounds import review_round, submitters_of, validators_of
from governance.workflow.signals import approval_took_effect
from governance.workflow.transitions import TRANSITIONS, allowed_actions
from registry.blobs import blob_transaction, read_blob, store_blob
from registry.errors import PayloadTooLarge, UnreadableArtifact
from registry.models import ModelVersion, RegisteredModel
from registry.permissions import per_model_roles
from registry.roles import APPROVER, RISK_OFFICER, VALIDATOR, role_names

S = ModelVersion.Status
# Actions whose actor must not have built or submitted the version.
INDEPENDENT_ACTIONS = ("start_validation", "approve", "reject", "request_changes")
MAX_REPORT_BYTES = 50 * 1024 * 1024


def may_take(user, version: ModelVersion, action: str) -> bool:
    """Role check only (the buttons a user sees); SoD is checked when acting."""
    step = TRANSITIONS.get(action)
    if step is None or not user.is_authenticated:
        return False
    return bool(step.roles & (role_names(user) | per_model_roles(user, version.model)))


# Actions the model's owner may not take when the tier policy excludes the owner.
OWNER_EXCLUDED_ACTIONS = ("approve", "deploy")


def _check_separation_of_duties(user, version: ModelVersion, action: str) -> None:
    if action in INDEPENDENT_ACTIONS:
        # The model's developer now, and the people frozen on the version when they
        # acted: re-assigning the model does not free the former developer to review.
        if user.pk in (version.model.developer_id, version.developer_at_registration_id,
                       version.developer_at_submission_id, version.registered_by_id):
            raise SeparationOfDuties(f"{user.get_username()} developed or registered "
                                     f"{version}; an independent person must validate and "
                                     "decide.", rule="developer-not-reviewer")
        if user.pk in submitters_of(version):
            raise SeparationOfDuties(f"{user.get_username()} submitted {version}; an "
                                     "independent person must validate and decide.",
                                     rule="submitter-not-reviewer")
    if action in OWNER_EXCLUDED_ACTIONS and user.pk == version.model.owner_id and \
            current_policy(version.model.risk_tier).owner_excluded:
        raise SeparationOfDuties(f"{user.get_username()} owns {version.model.slug}; the Tier "
                                 f"{version.model.risk_tier} policy lets someone else "
                                 f"{action} its versions.", rule="owner-not-approver")


def _locked(version: ModelVersion) -> ModelVersion:
    # Lock only the version row: PostgreSQL refuses FOR UPDATE on the nullable side of
    # the outer joins that fetch its datasets.
    return ModelVersion.objects.select_for_update(of=("self",)).select_related(
        "model", "artifact", "validation_dataset__blob", "training_dataset__blob").get(
        pk=version.pk)


def _check_may(actor, version: ModelVersion, action: str) -> None:
    step = TRANSITIONS[action]
    if version.status not in step.sources:
        raise TransitionNotAllowed(
            f"{version} is {version.get_status_display().lower()}; '{step.label}' needs "
            f"one of: {', '.join(step.sources)}.",
            allowed_actions=[t.action for t in allowed_actions(version.status)])
    if not may_take(actor, version, action):
        raise SeparationOfDuties(f"{actor.get_username()} has no role that may "
                                 f"'{step.label}' {version}.", rule="role")
    _check_separation_of_duties(actor, version, action)


# The inventory entry's status follows its versions (derived, so the transition's audit
# event is its record): the first rule that matches wins.
MODEL_STATUS_RULES = (({S.HALTED}, RegisteredModel.Status.HALTED),
                      ({S.DEPLOYED}, RegisteredModel.Status.IN_PRODUCTION),
                      ({S.APPROVED}, RegisteredModel.Status.APPROVED),
                      ({S.SUBMITTED, S.IN_VALIDATION}, RegisteredModel.Status.IN_VALIDATION))


def _sync_model_status(model: RegisteredModel) -> None:
    statuses = set(model.versions.values_list("status", flat=True))
    derived = next((status for wanted, status in MODEL_STATUS_RULES if statuses & wanted),
                   RegisteredModel.Status.RETIRED if statuses == {S.RETIRED}
                   else RegisteredModel.Status.IN_DEVELOPMENT)
    RegisteredModel.objects.filter(pk=model.pk).exclude(status=derived).update(status=derived)


def _move(actor, version: ModelVersion, action: str, target: str, reason: str,
          **extra) -> AuditEvent:
    before = version.status
    version.status = target
    version.save(update_fields=["status"])
    event = record_event(actor=actor, action="version.transitioned", target=version,
                         before={"status": before},
                         after={"status": target, "action": action, **extra}, reason=reason)
    _sync_model_status(version.model)
    return event


def transition(*, actor, version: ModelVersion, action: str, reason: str = "") -> ModelVersion:
    """The unsigned steps: submit, start validation, deploy, halt, rollback, retire."""
    if action not in TRANSITIONS:
        raise InvalidWorkflowInput(f"Unknown action {action!r}; use one of "
                               f"{', '.join(TRANSITIONS)}.", field="action")
    step = TRANSITIONS[action]
    if step.signed:
        raise SignatureRefused(f"'{step.label}' is a signed decision: it needs your password, "
                               "a reason and the meaning of your signature.")
    with transaction.atomic():
        version = _locked(version)
        _check_may(actor, version, action)
        if step.needs_reason and not reason.strip():
            raise InvalidWorkflowInput(f"'{step.label}' needs a reason.", field="reason")
        if action == "submit":
            _freeze_submitters(actor, version)
        if action == "deploy":
            _deploy(actor, version, reason)
        elif action == "rollback":
            _rollback(actor, version, reason)
        else:
            _move(actor, version, action, step.target, reason)
        notifications.version_changed(version, action, actor, reason)
    return version


def _freeze_submitters(actor, version: ModelVersion) -> None:
    version.submitted_by = actor
    version.developer_at_submission_id = version.model.developer_id
    version.save(update_fields=["submitted_by", "developer_at_submission"])


def restart_reviews(*, actor, model: RegisteredModel, changed: list[str],
                    reason: str = "") -> list[ModelVersion]:
    """The people on the model changed (owner, developer or validator): every version
    under review goes back to 'submitted' in a new round, so the signatures already given
    no longer count and validation starts again under the new assignment. Called in the
    transaction of the change (``registry.signals.model_people_changed``)."""
    restarted = []
    why = f"{', '.join(changed)} of {model.slug} changed: the review restarts"
    for version in ModelVersion.objects.select_for_update(of=("self",)).filter(
            model=model, status__in=(S.SUBMITTED, S.IN_VALIDATION)).order_by("number"):
        version.model = model
        _move(actor, version, "restart_review", S.SUBMITTED,
              f"{why}: {reason}" if reason.strip() else why, changed=changed)
        notifications.version_changed(version, "restart_review", actor, why)
        restarted.append(version)
    return restarted


def _deploy(actor, version: ModelVersion, reason: str) -> None:
    answer = version_answer(version)
    if not answer.deployable:
        raise NotDeployable(f"{version} may not be deployed: {answer.summary}",
                            reasons=answer.reasons)
    for previous in ModelVersion.objects.select_for_update().filter(
            model=version.model, status=S.DEPLOYED).exclude(pk=version.pk):
        _move(actor, previous, "superseded", S.APPROVED, f"superseded by v{version.number}")
    _move(actor, version, "deploy", S.DEPLOYED, reason)


def _rollback(actor, version: ModelVersion, reason: str) -> None:
    """The version stops being deployable; the newest earlier approved version whose
    approval is still valid takes its place."""
    was_serving = version.status in (S.DEPLOYED, S.HALTED)
    candidates = ModelVersion.objects.select_for_update().filter(
        model=version.model, status=S.APPROVED, number__lt=version.number).order_by("-number")
    states = version_states(version.model)
    target = next((c for c in candidates
                   if version_answer(c, ignore_halt=True, states=states).deployable), None)
    if target is None:
        raise NotDeployable(f"No earlier version of {version.model.slug} holds a valid "
                            "approval to roll back to; halt this version instead.",
                            reasons=["no_approved_version"])
    _move(actor, version, "rollback", S.ROLLED_BACK, reason, restored_version=target.number)
    if was_serving:
        _move(actor, target, "restored_by_rollback", S.DEPLOYED, reason,
              rolled_back_version=version.number)


# ---- signed decisions ----------------------------------------------------------------------

@dataclass(frozen=True)
class ConditionInput:
    kind: str
    text: str


def _capacity(user, version: ModelVersion) -> str:
    names = role_names(user)
    for role in (RISK_OFFICER, APPROVER, VALIDATOR):
        if role in names:
            return role
    return "Model validator" if version.model.validator_id == user.pk else "Signer"


def _approval_complete(version: ModelVersion, round_: int, policy: TierPolicy) -> tuple[bool,
                                                                                       str]:
    approvals = list(Decision.objects.filter(version=version, round=round_,
                                             kind=Decision.Kind.APPROVE))
    if len(approvals) < policy.approvals_required:
        return False, (f"{len(approvals)} of {policy.approvals_required} approvals "
                       "signed")
    if policy.risk_officer_must_approve and not any(d.capacity == RISK_OFFICER
                                                    for d in approvals):
        return False, "a risk officer's approval is still needed"
    if {d.signer_id for d in approvals} <= validators_of(version):
        return False, "an approver other than the validator must sign"
    return True, "complete"


def approval_progress(version: ModelVersion) -> str:
    policy = current_policy(version.model.risk_tier)
    return _approval_complete(version, review_round(version), policy)[1]


def _approval_document(approval: Approval, decisions, conditions) -> dict:
    return {"approval": approval.pk, "round": approval.round, "policy": {"tier": approval.policy.tier,
                                                "revision": approval.policy.revision},
            "approved_at": approval.approved_at, "expires_at": approval.expires_at,
            "grace_until": approval.grace_until, "artifact_sha256": approval.artifact_sha256,
            "evidence": approval.evidence,
            "signatures": [{"decision": d.pk, "signer": d.signer_name, "capacity": d.capacity,
                            "meaning": d.meaning, "reason": d.reason,
                            "signed_at": d.signed_at} for d in decisions],
            "conditions": [{"kind": c.kind, "text": c.text} for c in conditions]}


def _take_effect(actor, version: ModelVersion, round_: int, policy: TierPolicy,
                 report: gates.GateReport, reason: str) -> Approval:
    now = timezone.now()
    expires = now + relativedelta(months=policy.revalidation_months)
    approval = Approval.objects.create(
        version=version, round=round_, policy=policy, approved_at=now, expires_at=expires,
        grace_until=expires + timedelta(days=policy.grace_days),
        artifact_sha256=version.artifact.sha256, evidence=report.evidence)
    decisions = list(Decision.objects.filter(version=version, round=round_,
                                             kind=Decision.Kind.APPROVE))
    approval.decisions.set(decisions)
    conditions = list(Condition.objects.filter(decision__in=decisions))
    event = _move(actor, version, "approve", S.APPROVED, reason,
                  approval=_approval_document(approval, decisions, conditions))
    integrity.seal_approval(approval, event)
    # The inventory's review date is the approval's revalidation date (recorded above).
    RegisteredModel.objects.filter(pk=version.model_id).update(
        next_review_date=timezone.localdate(expires))
    approval_took_effect.send(sender=Approval, approval=approval, actor=actor)
    return approval


def _check_password(actor, password: str, what: str, target) -> None:
    """The signer's password, re-entered; wrong ones are security events, and after
    ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT of them signing is locked for a while (429)."""
    lockout = signature_lockout(actor.get_username())
    if lockout is not None:
        raise SignatureThrottled(lockout.message, field="password",
                                 retry_after=lockout.retry_after_seconds)
    if not password or not actor.check_password(password):
        lockout = note_failed_signature(actor=actor, target=target)
        if lockout is not None:
            raise SignatureThrottled(lockout.message, field="password",
                                     retry_after=lockout.retry_after_seconds)
        raise SignatureRefused(f"The password is not correct; {what} was not recorded.",
                               field="password")
    clear_signature_failures(actor)


def sign_off_validation(*, actor, version: ModelVersion, validation_type: str, scope: str,
                        opinion: str, rationale: str, password: str) -> ValidationSignOff:
    """'Validation complete': the validator's opinion on this review round, signed with a
    password re-entry and bound to the artifact, the evidence and the report it read."""
    if validation_type not in ValidationSignOff.Type.values:
        raise InvalidWorkflowInput("Choose the validation type (initial, periodic or "
                                   "change).", field="validation_type")
    if opinion not in ValidationSignOff.Opinion.values:
        raise InvalidWorkflowInput("Choose an opinion: fit for purpose, fit with conditions "
                                   "or not fit.", field="opinion")
    if not scope.strip():
        raise InvalidWorkflowInput("State the scope: what was validated, and what was not.",
                                   field="scope")
    if not rationale.strip():
        raise InvalidWorkflowInput("Give the rationale for your opinion.", field="rationale")
    _check_password(actor, password, "the sign-off", version)
    with transaction.atomic():
        version = _locked(version)
        if not can_sign_off_validation(actor, version.model):
            raise SeparationOfDuties("Only the model's validator or a validator signs off "
                                     "a validation.", rule="role")
        if version.status != S.IN_VALIDATION:
            raise TransitionNotAllowed(f"{version} is {version.get_status_display().lower()};"
                                       " a validation is signed off while it is in "
                                       "validation.", allowed_actions=[])
        _check_separation_of_duties(actor, version, "start_validation")
        round_ = review_round(version)
        if ValidationSignOff.objects.filter(version=version, round=round_).exists():
            raise TransitionNotAllowed("This review's validation is already signed off.",
                                       allowed_actions=[])
        policy = current_policy(version.model.risk_tier)
        bound = gates.bound_runs(version)
        evidence = {kind: gates.evidence_binding(run) for kind, run in bound.items()
                    if kind in policy.required_evidence}
        report = gates.current_report(version)
        if report is not None:
            evidence[gates.REPORT_KEY] = gates.report_binding(report)
        signoff = ValidationSignOff.objects.create(
            version=version, round=round_, validation_type=validation_type,
            scope=scope.strip(), opinion=opinion, rationale=rationale.strip(), signer=actor,
            signer_name=actor.get_full_name() or actor.get_username(),
            artifact_sha256=version.artifact.sha256, evidence=evidence,
            signed_at=timezone.now())
        event = record_event(actor=actor, action="validation.signed_off", target=version,
                             after={"signoff": signoff.pk, "round": round_,
                                    "validation_type": validation_type, "opinion": opinion,
                                    "scope": signoff.scope,
                                    "artifact_sha256": signoff.artifact_sha256,
                                    "evidence": evidence},
                             reason=signoff.rationale)
        integrity.seal_signoff(signoff, event)
    return signoff


def sign_decision(*, actor, version: ModelVersion, kind: str, password: str, meaning: str,
                  reason: str, conditions: list[ConditionInput] = ()) -> Decision:
    """Approve, reject or request changes with a signature (password re-entry, reason,
    meaning). An approval takes effect when the policy's signers are all there."""
    if kind not in Decision.Kind.values:
        raise InvalidWorkflowInput(f"Unknown decision {kind!r}; use one of "
                               f"{', '.join(Decision.Kind.values)}.", field="kind")
    _check_password(actor, password, "the decision", version)
    if not meaning.strip():
        raise SignatureRefused("Say what your signature means (e.g. 'approved for production "
                               "use in UK consumer lending').", field="meaning")
    if not reason.strip():
        raise SignatureRefused("A signed decision needs a reason.", field="reason")
    for condition in conditions:
        if condition.kind not in Condition.Kind.values or not condition.text.strip():
            raise InvalidWorkflowInput("Each condition needs a kind (condition or overlay) and "
                                   "a text.", field="conditions")
    with transaction.atomic():
        version = _locked(version)
        _check_may(actor, version, kind)
        round_ = review_round(version)
        if Decision.objects.filter(version=version, round=round_, signer=actor).exists():
            raise SeparationOfDuties(f"{actor.get_username()} has already signed {version} "
                                     "in this review; one person signs once.",
                                     rule="one-signature-per-person")
        policy = current_policy(version.model.risk_tier)
        report = gates.GateReport()
        if kind == Decision.Kind.APPROVE:
            report = gates.approval_gates(version, policy)
            if not report.passed:
                raise GateFailed(f"{version} does not meet the Tier {policy.tier} policy: "
                                 + " ".join(check.detail for check in report.failures),
                                 checks=[check.as_dict() for check in report.failures])
        try:
            with transaction.atomic():
                decision = Decision.objects.create(
                    version=version, round=round_, kind=kind, signer=actor,
                    signer_name=actor.get_full_name() or actor.get_username(),
                    capacity=_capacity(actor, version), meaning=meaning.strip(),
                    reason=reason.strip(), artifact_sha256=version.artifact.sha256,
                    evidence=report.evidence, policy=policy, signed_at=timezone.now())
        except IntegrityError:  # a concurrent double submit of the same signature
            raise SeparationOfDuties("This signature was already recorded.",
                                     rule="one-signature-per-person") from None
        for condition in conditions:
            Condition.objects.create(version=version, decision=decision, kind=condition.kind,
                                     text=condition.text.strip())
        event = record_event(actor=actor, action="decision.signed", target=version, after={
            "decision": decision.pk, "kind": kind, "round": round_,
            "signer_name": decision.signer_name, "capacity": decision.capacity, "meaning": decision.meaning,
            "artifact_sha256": decision.artifact_sha256, "evidence": decision.evidence,
            "policy": {"tier": policy.tier, "revision": policy.revision},
            "conditions": [{"kind": c.kind, "text": c.text} for c in conditions]},
            reason=decision.reason)
        integrity.seal_decision(decision, event)
        if kind == Decision.Kind.APPROVE:
            complete, _ = _approval_complete(version, round_, policy)
            if complete:
                _take_effect(actor, version, round_, policy, report, decision.reason)
                notifications.version_changed(version, "approve", actor, decision.reason)
            else:
                notifications.signature_added(version, decision)
        else:
            _move(actor, version, kind, TRANSITIONS[kind].target, decision.reason,
                  decision=decision.pk)
            notifications.version_changed(version, kind, actor, decision.reason)
    return decision


# ---- policy --------------------------------------------------------------------------------

def revise_policy(*, actor, tier: int, changes: dict, reason: str,
                  effective_at=None) -> TierPolicy:
    """Propose a revision (the maker). It is not in force until a second risk officer
    approves it (``approve_policy_revision``), and then from ``effective_at`` if given."""
    if not can_edit_policy(actor):
        raise SeparationOfDuties("Only risk officers may change tier policies.", rule="role")
    if not reason.strip():
        raise InvalidWorkflowInput("A policy change needs a reason.", field="reason")
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidWorkflowInput(f"Unknown policy fields: {', '.join(sorted(unknown))}.",
                               field=sorted(unknown)[0])
    if effective_at is not None and effective_at <= timezone.now():
        raise InvalidWorkflowInput("The effective date must be in the future (leave it empty "
                                   "for 'as soon as approved').", field="effective_at")
    with transaction.atomic():
        latest = TierPolicy.objects.select_for_update().filter(tier=tier).order_by(
            "-revision").first() or current_policy(tier)
        pending = pending_revision(tier)
        if pending is not None:
            raise TransitionNotAllowed(f"Revision {pending.revision} of the tier {tier} policy "
                                       "awaits a second risk officer: approve or reject it "
                                       "first.", allowed_actions=[])
        base = TierPolicy.objects.filter(tier=tier, status=TierPolicy.Status.APPROVED
                                         ).order_by("-revision").first() or latest
        before = {name: getattr(base, name) for name in POLICY_FIELDS}
        after = before | changes
        if after == before:
            return base
        policy = TierPolicy(tier=tier, revision=latest.revision + 1, created_by=actor,
                            reason=reason.strip(), status=TierPolicy.Status.PROPOSED,
                            effective_at=effective_at, **after)
        _check_policy(policy)
        policy.save()
        record_event(actor=actor, action="policy.proposed", target=policy,
                     before={"revision": base.revision, **before},
                     after={"revision": policy.revision, "effective_at": effective_at,
                            **after}, reason=reason)
    return policy


def decide_policy_revision(*, actor, policy: TierPolicy, approve: bool,
                           reason: str = "") -> TierPolicy:
    """The checker: a second risk officer approves (in force now, or at the stated
    effective date) or rejects a proposed revision. The maker may only reject (withdraw)."""
    if not can_edit_policy(actor):
        raise SeparationOfDuties("Only risk officers decide on policy revisions.", rule="role")
    if approve and actor.pk == policy.created_by_id:
        raise SeparationOfDuties("A policy revision needs a second risk officer: its author "
                                 "may not approve it.", rule="maker-checker")
    if not approve and not reason.strip():
        raise InvalidWorkflowInput("Say why the revision is rejected.", field="reason")
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != TierPolicy.Status.PROPOSED:
            raise TransitionNotAllowed(f"Revision {policy.revision} is already "
                                       f"{policy.get_status_display().lower()}.",
                                       allowed_actions=[])
        now = timezone.now()
        base = current_policy(policy.tier)
        policy.status = TierPolicy.Status.APPROVED if approve else TierPolicy.Status.REJECTED
        policy.approved_by, policy.approved_at = actor, now
        policy.decision_reason = reason.strip()
        if approve:
            policy.effective_at = max(policy.effective_at or now, now)
        policy.save(update_fields=["status", "approved_by", "approved_at", "decision_reason",
                                   "effective_at"])
        rules = {name: getattr(policy, name) for name in POLICY_FIELDS}
        record_event(actor=actor, action="policy.revised" if approve else "policy.rejected",
                     target=policy,
                     before={"revision": base.revision,
                             **{name: getattr(base, name) for name in POLICY_FIELDS}},
                     after={"revision": policy.revision, "effective_at": policy.effective_at,
                            "proposed_by": policy.created_by_id, **rules},
                     reason=reason.strip() or policy.reason)
    return policy


_POLICY_INTEGER_RANGES = {"approvals_required": (1, 10), "revalidation_months": (1, 120),
                          "grace_days": (0, 3650)}


def _check_policy(policy: TierPolicy) -> None:
    unknown = [k for k in policy.required_evidence if k not in EvidenceRun.Kind.values]
    if not isinstance(policy.required_evidence, list) or unknown:
        raise InvalidWorkflowInput(f"required_evidence must list evidence kinds "
                                   f"({', '.join(EvidenceRun.Kind.values)}).",
                                   field="required_evidence")
    if policy.approvals_required < 1:
        raise InvalidWorkflowInput("At least one approval is required.",
                                   field="approvals_required")
    for name in ("four_fifths_min", "equal_opportunity_max_difference"):
        value = getattr(policy, name)
        if value is not None and not 0 <= value <= 1:
            raise InvalidWorkflowInput(f"{name} must be between 0 and 1.", field=name)
    # Checked here, not left to the database: SQLite does not enforce integer ranges, and
    # a huge grace period overflows every later date computation of the tier.
    for name, (low, high) in _POLICY_INTEGER_RANGES.items():
        value = getattr(policy, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidWorkflowInput(f"{name} must be a whole number from {low} to {high}.",
                                       field=name)
    _validated(policy, exclude=["created_by"])


# ---- findings, exceptions, reports ---------------------------------------------------------

def _finding_document(finding: Finding) -> dict:
    return {"version": finding.version_id, "severity": finding.severity,
            "title": finding.title, "status": finding.status,
            "owner": finding.owner.get_username(), "due_date": finding.due_date}


def finding_owners(model: RegisteredModel) -> list:
    """Who may own a finding: the people with a role on the model."""
    from django.contrib.auth import get_user_model

    ids = {model.owner_id, model.developer_id, model.validator_id} - {None}
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by(
        "username"))


def raise_finding(*, actor, version: ModelVersion, severity: str, title: str,
                  description: str, owner, due_date, remediation: str = "",
                  backdate_reason: str = "") -> Finding:
    """Owners are people with a role on the model; a due date in the past is refused,
    unless a risk officer backdates it with a reason (recorded in the audit event)."""
    if not can_raise_finding(actor, version.model):
        raise SeparationOfDuties("Only validators and risk officers raise findings.",
                                 rule="role")
    if owner is None or owner.pk not in {person.pk for person in finding_owners(
            version.model)}:
        raise InvalidWorkflowInput("The owner must have a role on the model (its owner, "
                                   "developer or validator).", field="owner")
    if due_date < timezone.localdate():
        if not can_accept_risk(actor):
            raise InvalidWorkflowInput("The due date is in the past; only a risk officer may "
                                       "backdate a finding, with a reason.", field="due_date")
        if not backdate_reason.strip():
            raise InvalidWorkflowInput("A due date in the past needs the reason it is "
                                       "backdated.", field="backdate_reason")
    finding = Finding(version=version, severity=severity, title=title.strip(),
                      description=description.strip(), owner=owner, due_date=due_date,
                      remediation=remediation.strip(), raised_by=actor)
    _validated(finding, exclude=["raised_by", "closed_by"])
    with transaction.atomic():
        finding.save()
        record_event(actor=actor, action="finding.raised", target=finding,
                     after=_finding_document(finding), reason=backdate_reason.strip())
        notifications.finding_raised(finding)
    return finding


def close_finding(*, actor, finding: Finding, status: str, note: str) -> Finding:
    """Remediated (validator or risk officer confirms) or risk accepted (risk officer)."""
    if status not in (Finding.Status.REMEDIATED, Finding.Status.RISK_ACCEPTED):
        raise InvalidWorkflowInput("Close a finding as 'remediated' or 'risk_accepted'.",
                               field="status")
    allowed = (can_accept_risk(actor) if status == Finding.Status.RISK_ACCEPTED
               else can_raise_finding(actor, finding.version.model))
    if not allowed:
        raise SeparationOfDuties("Only a risk officer may accept a finding as a risk; "
                                 "validators and risk officers confirm remediation.",
                                 rule="role")
    if not note.strip():
        raise InvalidWorkflowInput("Closing a finding needs a justification.", field="note")
    with transaction.atomic():
        finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if finding.status != Finding.Status.OPEN:
            status_label = finding.get_status_display().lower()
            raise TransitionNotAllowed(f"The finding is already {status_label}.",
                                       allowed_actions=[])
        before = _finding_document(finding)
        finding.status, finding.closing_note = status, note.strip()
        finding.closed_by, finding.closed_at = actor, timezone.now()
        finding.save()
        record_event(actor=actor, action="finding.closed", target=finding, before=before,
                     after=_finding_document(finding), reason=note)
    return finding


def grant_fairness_exception(*, actor, version: ModelVersion, check_name: str,
                             justification: str) -> FairnessException:
    if not can_accept_risk(actor):
        raise SeparationOfDuties("Only a risk officer may grant a fairness exception.",
                                 rule="role")
    if not check_name.startswith("fairness"):
        raise InvalidWorkflowInput("Exceptions are for fairness checks (e.g. "
                               "'fairness:sex:four_fifths').", field="check_name")
    if len(justification.strip()) < 20:
        raise InvalidWorkflowInput("Write the justification out (20 characters at least): "
                               "why is this disparity acceptable?", field="justification")
    with transaction.atomic():
        exception, created = FairnessException.objects.get_or_create(
            version=version, check_name=check_name,
            defaults={"justification": justification.strip(), "granted_by": actor})
        if not created:
            raise TransitionNotAllowed(f"{check_name} already has an exception.",
                                       allowed_actions=[])
        record_event(actor=actor, action="fairness_exception.granted", target=version,
                     after={"check": check_name}, reason=exception.justification)
    return exception


def mark_proxy_feature(*, actor, version: ModelVersion, feature: str,
                       reason: str) -> ProxyFeature:
    """The owner (or a risk officer) declares an input a proxy for a protected attribute."""
    model = version.model
    if not (can_accept_risk(actor) or "owner" in per_model_roles(actor, model)):
        raise SeparationOfDuties("The model's owner or a risk officer marks proxies.",
                                 rule="role")
    if feature not in (version.feature_names or []):
        raise InvalidWorkflowInput(f"{feature!r} is not an input of {version}.",
                                   field="feature")
    if len(reason.strip()) < 10:
        raise InvalidWorkflowInput("Say what it stands in for (10 characters at least).",
                                   field="reason")
    with transaction.atomic():
        proxy, created = ProxyFeature.objects.get_or_create(
            model=model, feature=feature,
            defaults={"reason": reason.strip(), "marked_by": actor})
        if not created:
            raise TransitionNotAllowed(f"{feature} is already marked as a proxy.",
                                       allowed_actions=[])
        record_event(actor=actor, action="fairness.proxy_marked", target=model,
                     after={"feature": feature, "version": version.number},
                     reason=proxy.reason)
    return proxy


def upload_validation_report(*, actor, version: ModelVersion, data: bytes,
                             filename: str) -> ValidationReport:
    if not can_upload_validation_report(actor, version.model):
        raise SeparationOfDuties("Only the model's validator, validators and risk officers "
                                 "upload validation reports.", rule="role")
    if len(data) > MAX_REPORT_BYTES:
        raise PayloadTooLarge(f"The report is {len(data)} bytes; the limit is "
                              f"{MAX_REPORT_BYTES}.")
    if not data.startswith(b"%PDF-"):
        raise UnreadableArtifact("A validation report must be a PDF file.", field="file")
    with blob_transaction():
        blob = store_blob(data)
        report = ValidationReport.objects.create(version=version, blob=blob,
                                                 filename=filename[:200], uploaded_by=actor)
        record_event(actor=actor, action="validation_report.uploaded", target=version,
                     after={"report": report.pk, "filename": report.filename,
                            "sha256": blob.sha256})
    return report


def record_report_download(*, actor, report: ValidationReport) -> bytes:
    """The report's bytes; who read which report is recorded (reading is not a change,
    but a model-risk function must know who saw the validator's conclusions)."""
    data = read_blob(report.blob)
    with transaction.atomic():
        record_event(actor=actor, action="validation_report.downloaded",
                     target=report.version, after={"report": report.pk,
                                                   "filename": report.filename,
                                                   "sha256": report.blob.sha256})
    return data


def _validated(instance, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidWorkflowInput(f"{field}: {' '.join(messages)}", field=field) from None


# ---- legacy records ------------------------------------------------------------------------

@dataclass
class SealReport:
    decisions: list[int]
    approvals: list[int]
    signoffs: list[int]
    refused: list[str]  # "workflow.decision 4: why it was not sealed"


def _legacy_decision_event(decision: Decision) -> AuditEvent | None:
    return AuditEvent.objects.filter(
        action="decision.signed", target_type="registry.modelversion",
        target_id=str(decision.version_id), after__decision=decision.pk).order_by(
        "sequence").first()


def _legacy_approval_event(approval: Approval) -> AuditEvent | None:
    return AuditEvent.objects.filter(
        action="version.transitioned", target_type="registry.modelversion",
        target_id=str(approval.version_id), after__action="approve",
        after__approval__round=approval.round).order_by("sequence").first()


def seal_legacy_records(*, actor=None, dry_run: bool = False) -> SealReport:
    """Sign, once, the decisions, approvals and validation sign-offs made before records
    were signed.

    A row is sealed only when it agrees with the audit event that created it (the same
    comparison ``verify_audit --deep`` makes); one that does not is named and left
    unsealed, so the deploy gate keeps refusing it. Sealed rows are skipped, so a second
    run changes nothing. The run is one audit event listing what it sealed.
    """
    report = SealReport([], [], [], [])
    with transaction.atomic():
        for decision in Decision.objects.select_for_update(of=("self",)).filter(
                server_signature="").select_related("policy").order_by("pk"):
            event = _legacy_decision_event(decision)
            problems = integrity.decision_disagreements(decision, event)
            if problems or event is None:
                report.refused.append(f"workflow.decision {decision.pk}: {'; '.join(problems)}")
                continue
            if not dry_run:
                integrity.seal_decision(decision, event)
            report.decisions.append(decision.pk)
        for approval in Approval.objects.select_for_update(of=("self",)).filter(
                server_signature="").select_related("policy").order_by("pk"):
            event = _legacy_approval_event(approval)
            problems = integrity.approval_disagreements(
                approval, list(approval.decisions.all()), event)
            if problems or event is None:
                report.refused.append(f"workflow.approval {approval.pk}: {'; '.join(problems)}")
                continue
            if not dry_run:
                integrity.seal_approval(approval, event)
            report.approvals.append(approval.pk)
        for signoff in ValidationSignOff.objects.select_for_update().filter(
                server_signature="").order_by("pk"):
            event = AuditEvent.objects.filter(
                action="validation.signed_off", target_type="registry.modelversion",
                target_id=str(signoff.version_id), after__signoff=signoff.pk).first()
            problems = integrity.signoff_disagreements(signoff, event)
            if problems or event is None:
                report.refused.append(f"workflow.validationsignoff {signoff.pk}: "
                                      f"{'; '.join(problems)}")
                continue
            if not dry_run:
                integrity.seal_signoff(signoff, event)
            report.signoffs.append(signoff.pk)
        if not dry_run and (report.decisions or report.approvals or report.signoffs
                            or report.refused):
            record_event(actor=actor, action="records.sealed",
                         target_ref=("workflow.records", "legacy", "legacy decisions and "
                                                                   "approvals"),
                         after={"decisions": report.decisions, "approvals": report.approvals,
                                "signoffs": report.signoffs, "refused": report.refused},
                         reason="signed the records made before server signatures")
    return report
