"""Reads for audit packs: everything a pack of one model version shows, gathered in a
fixed order from what Assay stores (no clock, no random order), so that the same
evidence gives the same pack, byte for byte.

The moment a pack describes is the newest audit event about the model (pack
generation and downloads are events about the pack, not the model, and are left
out); the chain head printed is the chain's head at that moment.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from audit.chain import canonical_json
from audit.models import AuditEvent
from explain import charts as chart_drawing
from explain import selectors as explain_selectors
from explain.models import EvidenceRun
from governance.reports.models import AuditPack
from governance.workflow import gates
from governance.workflow.models import (
    Approval,
    Condition,
    Decision,
    FairnessException,
    Finding,
    ValidationReport,
    ValidationSignOff,
)
from governance.workflow.policies import current_policy
from registry.blobs import read_blob
from registry.models import ModelVersion, RegisteredModel

KINDS = ("performance", "shap", "reason_codes", "fairness", "drift", "scoring")
PACK_EVENT_TYPES = ("reports.auditpack", "reports.signingkey", "reports.inventoryreport")

# Section numbers of the pack, for the table of contents and the regulatory mapping.
SECTIONS = [("model-card", "Model card"), ("data", "Data and lineage"),
            ("performance", "Performance"), ("explainability", "Explainability"),
            ("fairness", "Fairness"), ("drift", "Drift and data quality"),
            ("validation", "Validation"), ("decisions", "Decisions"),
            ("audit", "Audit trail excerpt"), ("mapping", "Regulatory mapping")]

# (framework, element, pack sections that answer it)
MAPPING = [
    ("SR 11-7 / PRA SS1/23", "Model inventory and identification", ["model-card"]),
    ("SR 11-7 / PRA SS1/23", "Model development, data and implementation", ["data"]),
    ("SR 11-7 / PRA SS1/23", "Conceptual soundness and outcomes analysis",
     ["performance", "explainability"]),
    ("SR 11-7 / PRA SS1/23", "Independent validation", ["validation"]),
    ("SR 11-7 / PRA SS1/23", "Ongoing monitoring", ["drift"]),
    ("SR 11-7 / PRA SS1/23", "Governance, approval and controls", ["decisions", "audit"]),
    ("EU AI Act Annex IV", "1. General description of the system", ["model-card"]),
    ("EU AI Act Annex IV", "2. Elements and development process (data, design)", ["data"]),
    ("EU AI Act Annex IV", "3. Monitoring, functioning and control",
     ["drift", "decisions"]),
    ("EU AI Act Annex IV", "4. Appropriateness of the performance metrics", ["performance"]),
    ("EU AI Act Annex IV", "5. Risk management system", ["validation", "fairness"]),
    ("EU AI Act Annex IV", "6. Changes through the lifecycle", ["data", "audit"]),
    ("EU AI Act Annex IV", "7. Harmonised standards applied", []),
    ("EU AI Act Annex IV", "8. EU declaration of conformity", []),
    ("EU AI Act Annex IV", "9. Post-market monitoring plan", ["drift"]),
]


@dataclass
class Evidence:
    """One bound run with its provenance, or the gap where it would be."""

    kind: str
    label: str
    run: EvidenceRun | None = None
    charts: dict[str, str] = field(default_factory=dict)
    result_sha256: str = ""

    @property
    def summary(self) -> dict:
        return self.run.summary if self.run else {}


@dataclass
class PackContent:
    version: ModelVersion
    model: RegisteredModel
    described_at: datetime
    chain_head: AuditEvent | None
    evidence: dict[str, Evidence]
    datasets: list[dict]
    parents: list[ModelVersion]
    conditions: list[Condition]
    findings: list[dict]
    exceptions: list[FairnessException]
    reports: list[ValidationReport]
    sign_offs: list[ValidationSignOff]
    policy: object
    checks: list[gates.GateCheck]
    decisions: list[Decision]
    approvals: list[Approval]
    interventions: list[AuditEvent]
    events: list[AuditEvent]
    mapping: list[dict]
    attachments: dict[str, bytes]
    pack_id: str = ""
    sections: list[tuple[str, str]] = field(default_factory=lambda: list(SECTIONS))

    @property
    def present(self) -> dict[str, bool]:
        return _present(self)


def _dataset_card(dataset, role: str) -> dict:
    columns = sorted(dataset.columns, key=lambda c: (c["role"], c["name"]))
    return {"role": role, "dataset": dataset, "sha256": dataset.blob.sha256,
            "columns": columns,
            "protected": [c["name"] for c in columns if c["role"] == "protected"],
            "by_role": {role: [c["name"] for c in columns if c["role"] == role]
                        for role in ("target", "id", "protected", "feature", "ignored")}}


def _evidence(version: ModelVersion) -> dict[str, Evidence]:
    found = {}
    for kind in KINDS:
        run = gates.bound_run(version, kind)
        item = Evidence(kind, EvidenceRun.Kind(kind).label, run)
        if run is not None:
            item.result_sha256 = gates.result_sha256(run)
            item.charts = dict(run.charts) if run.charts else chart_drawing.draw_all(
                run.kind, run.summary, explain_selectors.chart_context(run))
        found[kind] = item
    return found


def _model_events(version: ModelVersion, evidence: dict[str, Evidence]) -> Q:
    """Every audit event about the model: the entry, its versions and what hangs off them."""
    model = version.model
    version_ids = [str(pk) for pk in model.versions.values_list("pk", flat=True)]
    runs = [str(pk) for pk in EvidenceRun.objects.filter(
        version__model=model).values_list("pk", flat=True)]
    findings = [str(pk) for pk in Finding.objects.filter(
        version__model=model).values_list("pk", flat=True)]
    return (Q(target_type="registry.registeredmodel", target_id=str(model.pk))
            | Q(target_type="registry.modelversion", target_id__in=version_ids)
            | Q(target_type="explain.evidencerun", target_id__in=runs)
            | Q(target_type="workflow.finding", target_id__in=findings))


def _finding_history(findings: list[Finding], events: list[AuditEvent]) -> list[dict]:
    by_target: dict[str, list[AuditEvent]] = {}
    for event in events:
        if event.target_type == "workflow.finding":
            by_target.setdefault(event.target_id, []).append(event)
    return [{"finding": f, "history": by_target.get(str(f.pk), [])} for f in findings]


def _sign_offs(version: ModelVersion) -> list[ValidationSignOff]:
    """The validator's signed scope and opinion, one per review round."""
    return list(ValidationSignOff.objects.filter(version=version).order_by("signed_at", "pk"))


def _present(content: "PackContent") -> dict[str, bool]:
    evidence = content.evidence
    return {"model-card": True, "data": content.version.artifact_id is not None,
            "performance": evidence["performance"].run is not None,
            "explainability": evidence["shap"].run is not None
            or evidence["reason_codes"].run is not None,
            "fairness": evidence["fairness"].run is not None,
            "drift": evidence["drift"].run is not None,
            "validation": bool(content.reports or content.sign_offs),
            "decisions": bool(content.decisions), "audit": bool(content.events),
            "mapping": True}


def _attachments(content: PackContent) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for kind, item in content.evidence.items():
        if item.run is None:
            continue
        run = item.run
        files[f"evidence-{kind}.json"] = canonical_json({
            "run": run.pk, "kind": kind, "version": str(content.version),
            "dataset": {"id": run.dataset_id, "sha256": run.input_hashes.get("dataset")},
            "input_hashes": run.input_hashes, "recipe": run.recipe,
            "fingerprint": run.fingerprint, "library_versions": run.library_versions,
            "device": run.device, "finished_at": run.finished_at,
            "result_blob_sha256": run.result_blob.sha256 if run.result_blob_id else None,
            "result_sha256": item.result_sha256, "summary": run.summary}).encode()
    files["audit-excerpt.json"] = canonical_json({
        "model": content.model.slug, "chain_head": _event_json(content.chain_head),
        "events": [_event_json(event) for event in content.events]}).encode()
    for report in content.reports:
        files[f"validation-report-{report.pk}-{report.filename}"] = read_blob(report.blob)
    return dict(sorted(files.items()))


def _event_json(event: AuditEvent | None) -> dict | None:
    if event is None:
        return None
    return {"sequence": event.sequence, "timestamp": event.timestamp, "actor": event.actor_name,
            "action": event.action, "target_type": event.target_type,
            "target_id": event.target_id, "target_label": event.target_label,
            "before": event.before, "after": event.after, "reason": event.reason,
            "previous_hash": event.previous_hash, "hash": event.hash}


def _mapping(present: dict[str, bool]) -> list[dict]:
    numbers = {slug: index + 1 for index, (slug, _) in enumerate(SECTIONS)}
    rows = []
    for framework, element, slugs in MAPPING:
        answered = [slug for slug in slugs if present.get(slug)]
        rows.append({"framework": framework, "element": element,
                     "sections": [(numbers[s], dict(SECTIONS)[s]) for s in answered],
                     "gaps": [dict(SECTIONS)[s] for s in slugs if not present.get(s)],
                     "provided": bool(answered)})
    return rows


def pack_content(version: ModelVersion) -> PackContent:
    version = ModelVersion.objects.select_related(
        "model__owner", "model__developer", "model__validator", "artifact",
        "training_dataset__blob", "validation_dataset__blob", "registered_by").get(pk=version.pk)
    model = version.model
    evidence = _evidence(version)
    events = list(AuditEvent.objects.filter(_model_events(version, evidence))
                  .exclude(target_type__in=PACK_EVENT_TYPES).order_by("sequence"))
    described_at = events[-1].timestamp if events else version.created_at
    chain_head = AuditEvent.objects.filter(timestamp__lte=described_at).exclude(
        target_type__in=PACK_EVENT_TYPES).order_by("-sequence").first()
    datasets = []
    if version.training_dataset:
        datasets.append(_dataset_card(version.training_dataset, "training"))
    if version.validation_dataset:
        datasets.append(_dataset_card(version.validation_dataset, "validation"))
    findings = list(Finding.objects.filter(version=version).select_related(
        "owner", "raised_by", "closed_by").order_by("raised_at", "pk"))
    policy = current_policy(model.risk_tier)
    decisions = list(Decision.objects.filter(version=version).select_related("policy")
                     .prefetch_related("conditions").order_by("signed_at", "pk"))
    content = PackContent(
        version=version, model=model, described_at=described_at, chain_head=chain_head,
        evidence=evidence, datasets=datasets,
        parents=list(model.versions.filter(number__lt=version.number)
                     .select_related("artifact").order_by("number")),
        conditions=list(Condition.objects.filter(version=version).order_by("pk")),
        findings=_finding_history(findings, events),
        exceptions=list(FairnessException.objects.filter(version=version)
                        .select_related("granted_by").order_by("check_name")),
        reports=list(ValidationReport.objects.filter(version=version)
                     .select_related("blob", "uploaded_by").order_by("uploaded_at", "pk")),
        sign_offs=_sign_offs(version), policy=policy,
        checks=gates.approval_gates(version, policy).checks, decisions=decisions,
        approvals=list(Approval.objects.filter(version=version).select_related("policy")
                       .order_by("approved_at", "pk")),
        interventions=[e for e in events if e.action == "version.transitioned"
                       and (e.after or {}).get("action") in ("halt", "rollback", "retire")],
        events=events, mapping=[], attachments={})
    content.mapping = _mapping(content.present)
    content.attachments = _attachments(content)
    content.pack_id = _pack_id(content)
    return content


def _pack_id(content: PackContent) -> str:
    """Same evidence, same id: a hash of the attachments, the events and the version."""
    digest = hashlib.sha256()
    digest.update(f"{content.version.pk}:{content.described_at.isoformat()}".encode())
    for name, data in content.attachments.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(canonical_json([c.as_dict() for c in content.checks]).encode())
    return "AP-" + digest.hexdigest()[:16].upper()


def packs_of(version: ModelVersion):
    return AuditPack.objects.filter(version=version).select_related(
        "blob", "version__model", "requested_by").order_by("-created_at", "-id")


def latest_pack(version: ModelVersion) -> AuditPack | None:
    return packs_of(version).first()


# ---- inventory report (all models, for committees) -----------------------------------------

@dataclass
class InventoryContent:
    described_at: datetime
    chain_head: AuditEvent | None
    rows: list[dict]
    totals: dict
    report_id: str = ""
    attachments: dict[str, bytes] = field(default_factory=dict)


def inventory_content() -> InventoryContent:
    """Every inventory entry with its tier, status, newest approval and expiry, review
    date (overdue as of the moment described), open findings by severity and failing
    fairness gates; a few queries in all, not a few per model."""
    from governance.workflow.deployability import SERVING

    chain_head = AuditEvent.objects.exclude(target_type__in=PACK_EVENT_TYPES).order_by(
        "-sequence").first()
    described_at = chain_head.timestamp if chain_head else datetime(2000, 1, 1)
    today = described_at.date()
    approvals: dict[int, Approval] = {}
    for approval in Approval.objects.select_related("version").order_by("approved_at", "pk"):
        approvals[approval.version.model_id] = approval
    findings: dict[int, dict[str, int]] = {}
    for model_id, severity in Finding.objects.filter(status=Finding.Status.OPEN).values_list(
            "version__model_id", "severity"):
        counts = findings.setdefault(model_id, {})
        counts[severity] = counts.get(severity, 0) + 1
    failing: dict[int, list[str]] = {}
    reviewed = ModelVersion.objects.filter(
        status__in=(ModelVersion.Status.IN_VALIDATION, *SERVING)).select_related(
        "model", "artifact", "validation_dataset__blob", "training_dataset__blob")
    policies: dict[int, object] = {}
    for version in reviewed.order_by("pk"):
        tier = version.model.risk_tier
        policy = policies.setdefault(tier, current_policy(tier))
        names = [check.name for check in gates.failing_fairness_checks(version, policy)]
        if names:
            failing.setdefault(version.model_id, []).extend(f"v{version.number} {n}"
                                                            for n in names)
    rows = []
    for model in RegisteredModel.objects.select_related("owner").order_by("name", "slug"):
        approval = approvals.get(model.pk)
        overdue = bool(model.next_review_date and model.next_review_date < today
                       and model.status != RegisteredModel.Status.RETIRED)
        counts = findings.get(model.pk, {})
        rows.append({"name": model.name, "slug": model.slug, "tier": model.risk_tier,
                     "status": model.get_status_display(),
                     "owner": model.owner.get_full_name() or model.owner.get_username(),
                     "approved": approval.approved_at.date().isoformat() if approval else "",
                     "expires": approval.expires_at.date().isoformat() if approval else "",
                     "review": model.next_review_date.isoformat() if model.next_review_date
                     else "", "overdue": overdue,
                     "high": counts.get("high", 0), "medium": counts.get("medium", 0),
                     "low": counts.get("low", 0), "failing": failing.get(model.pk, [])})
    totals = {"models": len(rows), "overdue": sum(r["overdue"] for r in rows),
              "high": sum(r["high"] for r in rows), "medium": sum(r["medium"] for r in rows),
              "low": sum(r["low"] for r in rows),
              "failing": sum(bool(r["failing"]) for r in rows),
              "by_tier": {tier: sum(r["tier"] == tier for r in rows) for tier in (1, 2, 3)}}
    content = InventoryContent(described_at, chain_head, rows, totals)
    content.attachments = {"inventory.json": canonical_json({
        "described_at": described_at, "chain_head": _event_json(chain_head),
        "totals": totals, "models": rows}).encode()}
    content.report_id = "IR-" + hashlib.sha256(
        content.attachments["inventory.json"]).hexdigest()[:16].upper()
    return content
