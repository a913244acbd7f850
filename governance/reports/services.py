"""Writes of audit packs: render, seal, store (immutable, content-addressed) and audit;
downloads are audited too."""

import time
from dataclasses import dataclass

from django.db import transaction

from audit.services import record_event
from governance.reports import selectors
from governance.reports.models import AuditPack
from governance.reports.rendering import render_inventory_pdf, render_pdf
from governance.reports.signing_keys import active_key
from registry.blobs import blob_transaction, read_blob, store_blob
from registry.models import ModelVersion
from registry.packfile import seal, sha256_hex


@dataclass
class SealedPack:
    content: selectors.PackContent | selectors.InventoryContent
    pdf: bytes
    manifest: dict
    pages: int
    key_id: str
    timings: dict


def _manifest(content: selectors.PackContent) -> dict:
    version = content.version
    return {
        "pack_id": content.pack_id, "model": version.model.slug, "version": version.number,
        "describes": content.described_at.isoformat(),
        "chain_head": {"sequence": content.chain_head.sequence,
                       "hash": content.chain_head.hash} if content.chain_head else None,
        "artifact": {"format": version.artifact_format, "sha256": version.artifact.sha256},
        "datasets": {card["role"]: {"id": card["dataset"].pk, "sha256": card["sha256"]}
                     for card in content.datasets},
        "evidence": {kind: {"run": item.run.pk, "input_hashes": item.run.input_hashes,
                            "result_sha256": item.result_sha256}
                     for kind, item in content.evidence.items() if item.run is not None},
        "validation_reports": {str(report.pk): report.blob.sha256 for report in content.reports},
        "attachments": {name: sha256_hex(data) for name, data in content.attachments.items()},
    }


def build_pack(version: ModelVersion,
               content: selectors.PackContent | None = None) -> SealedPack:
    """Gather, render and seal a pack (no writes): the same evidence gives the same bytes."""
    started = time.perf_counter()
    content = content or selectors.pack_content(version)
    gathered = time.perf_counter() - started
    key, private_key = active_key()
    rendered = render_pdf(content, key)
    sealed = time.perf_counter()
    pdf, manifest = seal(rendered.pdf, _manifest(content), private_key)
    timings = {"queries_s": round(gathered, 4), **rendered.timings,
               "seal_s": round(time.perf_counter() - sealed, 4),
               "total_s": round(time.perf_counter() - started, 4)}
    return SealedPack(content, pdf, manifest, rendered.pages, key.key_id, timings)


def generate_pack(*, actor, version: ModelVersion, trigger: str,
                  approval=None) -> tuple[AuditPack, bool]:
    """The pack of the version's current evidence; (pack, created). Identical evidence
    returns the stored pack: packs are never re-rendered or changed."""
    content = selectors.pack_content(version)
    existing = AuditPack.objects.filter(pack_id=content.pack_id).first()
    if existing is not None:
        return existing, False
    sealed = build_pack(version, content)
    with blob_transaction():
        blob = store_blob(sealed.pdf)
        pack = AuditPack.objects.create(
            pack_id=sealed.content.pack_id, version=version, approval=approval, blob=blob,
            sha256=blob.sha256, size=len(sealed.pdf), pages=sealed.pages,
            key_id=sealed.key_id, manifest=sealed.manifest,
            describes_moment=sealed.content.described_at, trigger=trigger,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            timings=sealed.timings)
        record_event(actor=actor, action="audit_pack.generated", target=pack, after={
            "pack_id": pack.pack_id, "version": str(version), "sha256": pack.sha256,
            "pages": pack.pages, "key_id": pack.key_id, "trigger": trigger,
            "approval": approval.pk if approval is not None else None})
    return pack, True


def pack_bytes(*, actor, pack: AuditPack) -> bytes:
    """The stored PDF (re-hashed on read), with the download audited."""
    data = read_blob(pack.blob)
    with transaction.atomic():
        record_event(actor=actor, action="audit_pack.downloaded", target=pack,
                     after={"pack_id": pack.pack_id, "sha256": pack.sha256})
    return data


def inventory_report(*, actor) -> SealedPack:
    """The signed inventory report PDF for committees (not stored: it is rendered from
    the inventory as it stands; the same inventory gives the same bytes); audited."""
    started = time.perf_counter()
    content = selectors.inventory_content()
    gathered = time.perf_counter() - started
    key, private_key = active_key()
    rendered = render_inventory_pdf(content, key)
    pdf, manifest = seal(rendered.pdf, {
        "pack_id": content.report_id, "model": "(inventory)", "version": None,
        "describes": content.described_at.isoformat(), "totals": content.totals,
        "attachments": {name: sha256_hex(data) for name, data in content.attachments.items()},
    }, private_key)
    with transaction.atomic():
        record_event(actor=actor, action="inventory_report.downloaded",
                     target_ref=("reports.inventoryreport", content.report_id,
                                 f"Inventory report {content.report_id}"),
                     after={"report_id": content.report_id, "sha256": sha256_hex(pdf),
                            "models": content.totals["models"]})
    timings = {"queries_s": round(gathered, 4), **rendered.timings,
               "total_s": round(time.perf_counter() - started, 4)}
    return SealedPack(content, pdf, manifest, rendered.pages, key.key_id, timings)
