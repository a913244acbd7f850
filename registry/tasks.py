"""Worker-side checks of the registry. Tasks take ids and are idempotent."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from audit.context import change_context
from audit.services import record_event
from registry.blobs import read_blob
from registry.errors import BlobCorrupted
from registry.models import Blob


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def verify_blob_integrity(blob_id: int) -> str:
    """Re-read a stored blob and re-hash it; record the outcome in the audit trail.

    Retries only on storage I/O errors (OSError); a hash mismatch is a finding,
    not a transient failure.
    """
    blob = Blob.objects.filter(pk=blob_id).first()
    if blob is None:
        return "missing"
    try:
        read_blob(blob)
        outcome, detail = "verified", ""
    except BlobCorrupted as error:
        outcome, detail = "corrupted", error.detail
    with change_context("worker"), transaction.atomic():
        Blob.objects.filter(pk=blob_id).update(verified_at=timezone.now(),
                                               integrity=outcome)
        record_event(actor=None, action=f"blob.{outcome}", target=blob,
                     after={"sha256": blob.sha256, "integrity": outcome}, reason=detail)
    return outcome
