"""Tamper evidence for the workflow's records: decisions, approvals, validation sign-offs
and version status.

The audit trail's hash chain proves the events were not edited, but the deploy gate and
the pages also read rows (``Decision``, ``Approval``, ``ModelVersion.status``) that
anyone with SQL access could edit, and an event appended with the chain code looks
genuine. So:

* every ``Decision``, ``Approval`` and ``ValidationSignOff`` carries a **server signature** (an HMAC under a
  key from ``audit.keys``, which the database does not hold) over its content and the
  hash of the audit event that created it; editing a signer, a reason, an expiry or an
  artifact hash in SQL breaks the signature, and forging a row needs the key;
* the **deploy gate** trusts an approval found in the events only when a sealed
  ``Approval`` row carries that event's hash and agrees with it, and so do its
  decisions (``approval_problems``): a forged ``version.transitioned`` event, however
  well hashed, has no such row;
* ``record_mismatches`` compares every record with its events (``verify_audit --deep``,
  the ``workflow.verify_records`` beat task, and the warnings on the version and model
  pages), naming each disagreement.

Rows created before signing existed are sealed once by ``manage.py seal_legacy_records``.
"""

import json
from collections.abc import Iterable
from datetime import datetime

from django.utils.dateparse import parse_datetime

from audit import keys
from audit.chain import canonical_json
from audit.deep_checks import Mismatch
from audit.models import AuditEvent
from governance.workflow.models import Approval, Decision, ValidationSignOff
from registry.models import ModelVersion

CHECK_NAME = "workflow.records"
DECISION_PURPOSE = "workflow.decision"
APPROVAL_PURPOSE = "workflow.approval"
SIGNOFF_PURPOSE = "workflow.validationsignoff"
VERSION_TARGET = "registry.modelversion"
NOT_SEALED = ("not sealed by the server (created before records were signed: run "
              "manage.py seal_legacy_records)")


def _normal(value):
    """JSON as the audit trail stores it (dates as strings, keys sorted)."""
    return json.loads(canonical_json(value))


def _when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else value


# ---- what is signed ------------------------------------------------------------------------

def decision_content(decision: Decision) -> bytes:
    return canonical_json({
        "id": decision.pk, "version": decision.version_id, "round": decision.round,
        "kind": decision.kind, "signer": decision.signer_id,
        "signer_name": decision.signer_name, "capacity": decision.capacity,
        "meaning": decision.meaning, "reason": decision.reason,
        "artifact_sha256": decision.artifact_sha256, "evidence": _normal(decision.evidence),
        "policy": decision.policy_id, "signed_at": decision.signed_at.isoformat(),
        "event_hash": decision.event_hash}).encode()


def approval_content(approval: Approval, decision_ids: Iterable[int]) -> bytes:
    return canonical_json({
        "id": approval.pk, "version": approval.version_id, "round": approval.round,
        "policy": approval.policy_id, "approved_at": approval.approved_at.isoformat(),
        "expires_at": approval.expires_at.isoformat(),
        "grace_until": approval.grace_until.isoformat(),
        "artifact_sha256": approval.artifact_sha256, "evidence": _normal(approval.evidence),
        "decisions": sorted(decision_ids), "event_hash": approval.event_hash}).encode()


def signoff_content(signoff: ValidationSignOff) -> bytes:
    return canonical_json({
        "id": signoff.pk, "version": signoff.version_id, "round": signoff.round,
        "validation_type": signoff.validation_type, "scope": signoff.scope,
        "opinion": signoff.opinion, "rationale": signoff.rationale,
        "signer": signoff.signer_id, "signer_name": signoff.signer_name,
        "artifact_sha256": signoff.artifact_sha256, "evidence": _normal(signoff.evidence),
        "signed_at": signoff.signed_at.isoformat(), "event_hash": signoff.event_hash}).encode()


def seal_signoff(signoff: ValidationSignOff, event: AuditEvent) -> None:
    """Bind the validator's sign-off to its ``validation.signed_off`` event and sign."""
    signoff.event_hash = event.hash
    signoff.signature_key_id, signoff.server_signature = keys.sign(
        signoff_content(signoff), purpose=SIGNOFF_PURPOSE)
    ValidationSignOff.objects.filter(pk=signoff.pk).update(
        event_hash=signoff.event_hash, signature_key_id=signoff.signature_key_id,
        server_signature=signoff.server_signature)


def signoff_signature_valid(signoff: ValidationSignOff) -> bool:
    return bool(signoff.server_signature) and keys.verify(
        signoff_content(signoff), purpose=SIGNOFF_PURPOSE, key_id=signoff.signature_key_id,
        signature=signoff.server_signature)


def seal_decision(decision: Decision, event: AuditEvent) -> None:
    """Bind the decision to its ``decision.signed`` event and sign both (in the
    service's transaction)."""
    decision.event_hash = event.hash
    decision.signature_key_id, decision.server_signature = keys.sign(
        decision_content(decision), purpose=DECISION_PURPOSE)
    Decision.objects.filter(pk=decision.pk).update(
        event_hash=decision.event_hash, signature_key_id=decision.signature_key_id,
        server_signature=decision.server_signature)


def seal_approval(approval: Approval, event: AuditEvent) -> None:
    """Bind the approval to the ``version.transitioned`` (approve) event and sign."""
    approval.event_hash = event.hash
    decision_ids = approval.decisions.values_list("pk", flat=True)
    approval.signature_key_id, approval.server_signature = keys.sign(
        approval_content(approval, decision_ids), purpose=APPROVAL_PURPOSE)
    Approval.objects.filter(pk=approval.pk).update(
        event_hash=approval.event_hash, signature_key_id=approval.signature_key_id,
        server_signature=approval.server_signature)


def decision_signature_valid(decision: Decision) -> bool:
    return bool(decision.server_signature) and keys.verify(
        decision_content(decision), purpose=DECISION_PURPOSE,
        key_id=decision.signature_key_id, signature=decision.server_signature)


def approval_signature_valid(approval: Approval, decision_ids: Iterable[int]) -> bool:
    return bool(approval.server_signature) and keys.verify(
        approval_content(approval, decision_ids), purpose=APPROVAL_PURPOSE,
        key_id=approval.signature_key_id, signature=approval.server_signature)


# ---- rows against events -------------------------------------------------------------------

def _differ(what: str, row, event) -> str:
    return f"{what} differs from its audit event (record: {row!r}, event: {event!r})"


def decision_disagreements(decision: Decision, event: AuditEvent | None) -> list[str]:
    """How the decision row disagrees with its ``decision.signed`` event."""
    if event is None:
        return ["no decision.signed audit event records it"]
    after = event.after or {}
    if event.action != "decision.signed" or event.target_type != VERSION_TARGET or \
            event.target_id != str(decision.version_id) or after.get("decision") != decision.pk:
        return [f"audit event #{event.sequence} is not this decision's signature"]
    problems = []
    if event.actor_id != decision.signer_id:
        problems.append(_differ("signer", decision.signer_id, event.actor_id))
    if "signer_name" in after and after["signer_name"] != decision.signer_name:
        problems.append(_differ("signer name", decision.signer_name, after["signer_name"]))
    for name in ("kind", "round", "capacity", "meaning", "artifact_sha256"):
        if after.get(name) != getattr(decision, name):
            problems.append(_differ(name.replace("_", " "), getattr(decision, name),
                                    after.get(name)))
    if after.get("evidence") != _normal(decision.evidence):
        problems.append("evidence hashes differ from its audit event")
    policy = {"tier": decision.policy.tier, "revision": decision.policy.revision}
    if after.get("policy") != policy:
        problems.append(_differ("policy revision", policy, after.get("policy")))
    if event.reason != decision.reason:
        problems.append(_differ("reason", decision.reason, event.reason))
    return [f"{p} (event #{event.sequence})" for p in problems]


def signoff_disagreements(signoff: ValidationSignOff, event: AuditEvent | None) -> list[str]:
    """How the sign-off row disagrees with its ``validation.signed_off`` event."""
    if event is None:
        return ["no validation.signed_off audit event records it"]
    after = event.after or {}
    if event.action != "validation.signed_off" or event.target_type != VERSION_TARGET or \
            event.target_id != str(signoff.version_id) or after.get("signoff") != signoff.pk:
        return [f"audit event #{event.sequence} is not this sign-off's"]
    problems = []
    if event.actor_id != signoff.signer_id:
        problems.append(_differ("signer", signoff.signer_id, event.actor_id))
    for name in ("round", "validation_type", "opinion", "scope", "artifact_sha256"):
        if after.get(name) != getattr(signoff, name):
            problems.append(_differ(name.replace("_", " "), getattr(signoff, name),
                                    after.get(name)))
    if after.get("evidence") != _normal(signoff.evidence):
        problems.append("evidence hashes differ from its audit event")
    if event.reason != signoff.rationale:
        problems.append(_differ("rationale", signoff.rationale, event.reason))
    return [f"{p} (event #{event.sequence})" for p in problems]


def approval_disagreements(approval: Approval, decisions: list[Decision],
                           event: AuditEvent | None) -> list[str]:
    """How the approval row disagrees with the approve transition that put it in force."""
    if event is None:
        return ["no approve audit event records it"]
    after = event.after or {}
    document = after.get("approval") or {}
    if event.action != "version.transitioned" or after.get("action") != "approve" or \
            event.target_id != str(approval.version_id) or \
            document.get("approval", approval.pk) != approval.pk:
        return [f"audit event #{event.sequence} is not this approval's"]
    problems = []
    for name in ("round", "artifact_sha256"):
        if document.get(name) != getattr(approval, name):
            problems.append(_differ(name.replace("_", " "), getattr(approval, name),
                                    document.get(name)))
    for name in ("approved_at", "expires_at", "grace_until"):
        if _when(document.get(name)) != getattr(approval, name):
            problems.append(_differ(name.replace("_", " "), str(getattr(approval, name)),
                                    document.get(name)))
    if document.get("evidence") != _normal(approval.evidence):
        problems.append("evidence hashes differ from its audit event")
    policy = {"tier": approval.policy.tier, "revision": approval.policy.revision}
    if document.get("policy") != policy:
        problems.append(_differ("policy revision", policy, document.get("policy")))
    signed = sorted(s.get("decision") for s in document.get("signatures", []))
    if signed != sorted(d.pk for d in decisions):
        problems.append(_differ("signatures", sorted(d.pk for d in decisions), signed))
    return [f"{p} (event #{event.sequence})" for p in problems]


def _events_by_hash(hashes: Iterable[str]) -> dict[str, AuditEvent]:
    wanted = [h for h in hashes if h]
    return {e.hash: e for e in AuditEvent.objects.filter(hash__in=wanted)}


def _decision_problems(decision: Decision, events: dict[str, AuditEvent]) -> list[str]:
    if not decision.server_signature:
        return [NOT_SEALED]
    problems = []
    if not decision_signature_valid(decision):
        problems.append("server signature does not verify: the record was changed outside "
                        "Assay")
    return problems + decision_disagreements(decision, events.get(decision.event_hash))


def _signoff_problems(signoff: ValidationSignOff, events: dict[str, AuditEvent]) -> list[str]:
    if not signoff.server_signature:
        return [NOT_SEALED]
    problems = []
    if not signoff_signature_valid(signoff):
        problems.append("server signature does not verify: the record was changed outside "
                        "Assay")
    return problems + signoff_disagreements(signoff, events.get(signoff.event_hash))


def _approval_problems(approval: Approval, decisions: list[Decision],
                       events: dict[str, AuditEvent]) -> list[str]:
    if not approval.server_signature:
        return [NOT_SEALED]
    problems = []
    if not approval_signature_valid(approval, [d.pk for d in decisions]):
        problems.append("server signature does not verify: the record was changed outside "
                        "Assay")
    return problems + approval_disagreements(approval, decisions,
                                             events.get(approval.event_hash))


def approval_problems(version_id: int, event_hash: str | None) -> list[str]:
    """For the deploy gate: why the approval that the audit event ``event_hash`` puts in
    force is not backed by sealed, agreeing Approval and Decision rows (empty: it is)."""
    approval = Approval.objects.filter(version_id=version_id, event_hash=event_hash or "-"
                                       ).select_related("policy").first()
    if approval is None:
        return ["no sealed approval record matches the audit event that approved it"]
    decisions = list(approval.decisions.select_related("policy"))
    events = _events_by_hash([approval.event_hash, *(d.event_hash for d in decisions)])
    problems = [f"approval: {p}" for p in _approval_problems(approval, decisions, events)]
    for decision in decisions:
        if decision.kind != Decision.Kind.APPROVE or decision.round != approval.round or \
                decision.version_id != version_id:
            problems.append(f"decision {decision.pk} is not an approval of this round")
        problems += [f"decision {decision.pk}: {p}"
                     for p in _decision_problems(decision, events)]
    return problems


# ---- every record (verify_audit --deep, the beat task, the pages) --------------------------

def _label(version: ModelVersion) -> str:
    return f"{version.model.slug} v{version.number}"


def record_mismatches(versions=None) -> list[Mismatch]:
    """Every decision, approval and version status (of ``versions``, a queryset; default
    all) that disagrees with the audit events that created it, or whose server signature
    does not verify; and every approve or signature event without its record."""
    versions = (ModelVersion.objects.all() if versions is None else versions
                ).select_related("model").order_by("pk")
    by_id = {v.pk: v for v in versions}
    if not by_id:
        return []
    ids = list(by_id)
    found: list[Mismatch] = []

    def note(kind: str, pk, version_id: int, problem: str) -> None:
        found.append(Mismatch(kind, f"{pk} ({_label(by_id[version_id])})", problem))

    decisions = list(Decision.objects.filter(version_id__in=ids).select_related("policy"))
    approvals = list(Approval.objects.filter(version_id__in=ids).select_related("policy")
                     .prefetch_related("decisions"))
    signoffs = list(ValidationSignOff.objects.filter(version_id__in=ids))
    events = AuditEvent.objects.filter(
        target_type=VERSION_TARGET, target_id__in=[str(pk) for pk in ids],
        action__in=("version.registered", "version.transitioned", "decision.signed",
                    "validation.signed_off"))
    events = list(events.order_by("sequence"))
    by_hash = {e.hash: e for e in events}
    for decision in decisions:
        for problem in _decision_problems(decision, by_hash):
            note("workflow.decision", decision.pk, decision.version_id, problem)
    for approval in approvals:
        for problem in _approval_problems(approval, list(approval.decisions.all()), by_hash):
            note("workflow.approval", approval.pk, approval.version_id, problem)
    for signoff in signoffs:
        for problem in _signoff_problems(signoff, by_hash):
            note("workflow.validationsignoff", signoff.pk, signoff.version_id, problem)
    sealed = ({d.event_hash for d in decisions} | {a.event_hash for a in approvals}
              | {s.event_hash for s in signoffs})
    legacy_decisions = {d.pk for d in decisions if not d.event_hash}
    legacy_signoffs = {s.pk for s in signoffs if not s.event_hash}
    legacy_rounds = {(a.version_id, a.round) for a in approvals if not a.event_hash}
    status: dict[int, tuple[str, AuditEvent]] = {}
    for event in events:
        version_id, after = int(event.target_id), event.after or {}
        if event.action == "version.registered":
            status[version_id] = (ModelVersion.Status.DRAFT, event)
            continue
        if event.action == "version.transitioned":
            status[version_id] = (after.get("status"), event)
        if event.hash in sealed:
            continue
        if event.action == "decision.signed" and after.get("decision") not in legacy_decisions:
            note("audit event", f"#{event.sequence}", version_id,
                 "records a signed decision that no decision record carries (the record was "
                 "deleted or the event forged)")
        if event.action == "validation.signed_off" and after.get("signoff") not in \
                legacy_signoffs:
            note("audit event", f"#{event.sequence}", version_id,
                 "records a validation sign-off that no sign-off record carries (the record "
                 "was deleted or the event forged)")
        if event.action == "version.transitioned" and after.get("action") == "approve" and \
                (version_id, (after.get("approval") or {}).get("round")) not in legacy_rounds:
            note("audit event", f"#{event.sequence}", version_id,
                 "approves the version but no approval record carries it (the record was "
                 "deleted or the event forged)")
    for version_id, version in by_id.items():
        expected, event = status.get(version_id, (None, None))
        if event is None:
            note("registry.modelversion", version_id, version_id,
                 "no audit event registers it")
        elif version.status != expected:
            note("registry.modelversion", version_id, version_id,
                 _differ("status", version.status, expected) + f" (event #{event.sequence})")
    return found


def check_all_records() -> list[Mismatch]:
    """The deep check registered with ``audit.deep_checks``."""
    return record_mismatches()
