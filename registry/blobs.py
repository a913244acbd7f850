"""Content-addressed blob storage (sha256) on a Django storage backend.

Files are written before the database row commits; if the transaction fails,
``blob_transaction`` deletes what it wrote, so a failed or abandoned upload
leaves no orphan file and no row.
"""

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from registry.errors import BlobCorrupted
from registry.models import Blob

logger = logging.getLogger(__name__)

_written_in_transaction: ContextVar[list[str] | None] = ContextVar("assay_blob_writes",
                                                                   default=None)


def blob_storage():
    return storages["blobs"]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def blob_transaction() -> Iterator[None]:
    written: list[str] = []
    token = _written_in_transaction.set(written)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        storage = blob_storage()
        for name in written:
            storage.delete(name)
        raise
    finally:
        _written_in_transaction.reset(token)


def store_blob(data: bytes, digest: str | None = None) -> Blob:
    """Return the Blob for these bytes, writing them only if they are new.
    ``digest`` saves re-hashing when the caller already has the sha256."""
    written = _written_in_transaction.get()
    if written is None:
        raise RuntimeError("store_blob must run inside blob_transaction()")
    digest = digest or sha256_hex(data)
    existing = Blob.objects.filter(sha256=digest).first()
    if existing:
        return existing
    storage = blob_storage()
    # A concurrent upload of the same bytes may hold this name; the storage
    # then picks another, and only the row that commits first is kept.
    name = storage.save(f"sha256/{digest[:2]}/{digest[2:4]}/{digest}", ContentFile(data))
    written.append(name)
    Blob.objects.bulk_create([Blob(sha256=digest, size=len(data), storage_name=name)],
                             ignore_conflicts=True)
    blob = Blob.objects.get(sha256=digest)
    if blob.storage_name != name:
        storage.delete(name)
        written.remove(name)
    else:
        from registry.tasks import verify_blob_integrity

        transaction.on_commit(lambda: _enqueue_quietly(verify_blob_integrity, blob.pk))
    return blob


def _enqueue_quietly(task, *args) -> None:
    """A broker that is down must not fail a registration that already committed;
    the blob simply stays 'unchecked' until `manage.py verify_blobs` runs."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception as error:  # kombu raises many kinds when the broker is unreachable
        logger.warning("could not enqueue %s%s: %s", task.name, args, error)


def read_blob(blob: Blob) -> bytes:
    """The blob's bytes, re-hashed: a file changed on disk is never served as evidence."""
    with blob_storage().open(blob.storage_name, "rb") as handle:
        data = handle.read()
    if sha256_hex(data) != blob.sha256:
        raise BlobCorrupted(f"Stored file {blob.storage_name} no longer matches sha256 "
                            f"{blob.sha256}; it was changed or damaged after upload.")
    return data
