"""Worker-side checks of the registry. Tasks take ids and are idempotent."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.context import change_context
from audit.services import record_event
from registry.blobs import delete_unreferenced_files, orphan_files, read_blob
from registry.errors import BlobCorrupted, BlobMissing
from registry.models import Blob

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def verify_blob_integrity(blob_id: int) -> str:
    """Re-read a stored blob and re-hash it: 'verified', 'corrupted' or 'missing'.

    The outcome is audited when it changes (first check, a file found damaged or
    missing, a damaged file found restored); a re-check with the same outcome only
    updates ``verified_at``. Retries only on storage I/O errors (OSError); a hash
    mismatch or a missing file is a finding, not a transient failure.
    """
    blob = Blob.objects.filter(pk=blob_id).first()
    if blob is None:
        return "no such blob"
    try:
        read_blob(blob)
        outcome, detail = "verified", ""
    except BlobMissing as error:
        outcome, detail = "missing", error.detail
    except BlobCorrupted as error:
        outcome, detail = "corrupted", error.detail
    with change_context("worker"), transaction.atomic():
        Blob.objects.filter(pk=blob_id).update(verified_at=timezone.now(),
                                               integrity=outcome)
        if outcome != blob.integrity:
            record_event(actor=None, action=f"blob.{outcome}", target=blob,
                         after={"sha256": blob.sha256, "integrity": outcome,
                                "was": blob.integrity}, reason=detail)
    return outcome


def rolling_batch(max_bytes: int, max_count: int) -> list[int]:
    """The blobs checked longest ago (never-checked first), up to ``max_bytes`` of
    reading (at least one blob) and ``max_count`` blobs."""
    chosen, total = [], 0
    candidates = Blob.objects.order_by(F("verified_at").asc(nulls_first=True), "pk") \
        .values_list("pk", "size")[:max_count]
    for blob_id, size in candidates:
        if chosen and total + size > max_bytes:
            break
        chosen.append(blob_id)
        total += size
    return chosen


@shared_task(name="registry.verify_blobs_rolling", acks_late=True)
def verify_blobs_rolling() -> dict[str, int]:
    """The beat job of the blob store: re-hash the blobs checked longest ago, a bounded
    amount per run (``ASSAY_BLOB_VERIFY_BYTES_PER_RUN``), so every file is re-verified
    in turn; then delete files no row refers to once they are older than the grace
    period (``ASSAY_BLOB_ORPHAN_GRACE_SECONDS``: a crashed registration's leftovers)."""
    outcomes: dict[str, int] = {}
    for blob_id in rolling_batch(settings.ASSAY_BLOB_VERIFY_BYTES_PER_RUN,
                                 settings.ASSAY_BLOB_VERIFY_MAX_PER_RUN):
        try:
            outcome = verify_blob_integrity(blob_id)
        except OSError as error:  # the store is unreachable: the next run tries again
            logger.warning("blob %s not verified: %s", blob_id, error)
            outcome = "unreachable"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    outcomes["orphans_deleted"] = collect_orphan_files(
        timedelta(seconds=settings.ASSAY_BLOB_ORPHAN_GRACE_SECONDS))
    return outcomes


def collect_orphan_files(grace: timedelta) -> int:
    """Delete files under ``sha256/`` that no Blob row refers to and that are older than
    ``grace``; each deletion is audited."""
    deleted = 0
    for name in list(orphan_files(grace)):
        with change_context("worker"), transaction.atomic():
            record_event(actor=None, action="blob.orphan_deleted",
                         target_ref=("registry.blob", "", name[:300]),
                         after={"storage_name": name},
                         reason=f"no stored record refers to it after {grace}")
            delete_unreferenced_files([name])
        deleted += 1
    return deleted
