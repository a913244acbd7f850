"""Content-addressed blob storage (sha256) on a Django storage backend.

Files are written before the database row commits. If the transaction rolls
back, ``blob_transaction`` deletes what it wrote, but only a file that no
committed row refers to: an error raised after the commit (an on-commit hook,
a worker killed by its timeout) never deletes a committed artifact. Files a
crashed process left behind are collected by ``collect_orphan_files`` after a
grace period (beat task ``registry.verify_blobs_rolling``).
"""

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from registry.errors import BlobCorrupted, BlobMissing, StorageUnavailable
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
    committed: list[bool] = []
    token = _written_in_transaction.set(written)
    try:
        with transaction.atomic():
            # Registered first, so it runs before any other on-commit hook can fail.
            transaction.on_commit(lambda: committed.append(True))
            yield
    except BaseException:
        if not committed:
            delete_unreferenced_files(written)
        raise
    finally:
        _written_in_transaction.reset(token)


def delete_unreferenced_files(names: list[str]) -> None:
    """Delete files this transaction wrote, unless a committed row refers to them (a
    concurrent upload of the same bytes may have committed the same name). If the
    database cannot answer, keep them: the orphan collector decides later."""
    if not names:
        return
    try:
        referenced = set(Blob.objects.filter(storage_name__in=names)
                         .values_list("storage_name", flat=True))
    except Exception as error:  # the database may be what failed
        logger.warning("kept %d new blob file(s) after a failed transaction: %s",
                       len(names), error)
        return
    storage = blob_storage()
    for name in names:
        if name not in referenced:
            storage.delete(name)


def store_blob(data: bytes, digest: str | None = None) -> Blob:
    """Return the Blob for these bytes, writing them only if they are new (or if the
    file of a known blob is missing or damaged: then it is restored from ``data``).
    ``digest`` saves re-hashing when the caller already has the sha256."""
    written = _written_in_transaction.get()
    if written is None:
        raise RuntimeError("store_blob must run inside blob_transaction()")
    digest = digest or sha256_hex(data)
    existing = Blob.objects.filter(sha256=digest).first()
    if existing:
        restore_blob_file(existing, data)
        return existing
    storage = blob_storage()
    # A concurrent upload of the same bytes may hold this name; the storage
    # then picks another, and only the row that commits first is kept.
    try:
        name = storage.save(f"sha256/{digest[:2]}/{digest[2:4]}/{digest}", ContentFile(data))
    except OSError as error:
        kind = type(error).__name__
        raise StorageUnavailable(f"The file store could not be written ({kind}); nothing "
                                 "was registered.") from error
    written.append(name)
    Blob.objects.bulk_create([Blob(sha256=digest, size=len(data), storage_name=name)],
                             ignore_conflicts=True)
    blob = Blob.objects.get(sha256=digest)
    if blob.storage_name != name:
        storage.delete(name)
        written.remove(name)
    else:
        _verify_after_commit(blob.pk)
    return blob


def restore_blob_file(blob: Blob, data: bytes) -> bool:
    """Put back the file of a known blob from bytes with its sha256, when the file is
    missing or was found damaged; True if it was restored. The restored file is never
    deleted by a rollback: the row it belongs to is already committed."""
    if sha256_hex(data) != blob.sha256:
        raise ValueError("restore_blob_file needs the blob's own bytes")
    storage = blob_storage()
    if storage.exists(blob.storage_name) and blob.integrity not in DAMAGED:
        return False
    if storage.exists(blob.storage_name):
        storage.delete(blob.storage_name)
    saved = storage.save(blob.storage_name, ContentFile(data))
    Blob.objects.filter(pk=blob.pk).update(storage_name=saved, integrity="unchecked",
                                           verified_at=None)
    blob.storage_name, blob.integrity, blob.verified_at = saved, "unchecked", None
    logger.warning("restored the missing or damaged file of blob %s", blob.sha256)
    _verify_after_commit(blob.pk)
    return True


DAMAGED = ("corrupted", "missing")


def blob_damage(blob: Blob) -> str | None:
    """Why this blob's file cannot be trusted now, or None: the last re-hash found it
    changed or missing, or the file is not there any more (a cheap check, no re-hash)."""
    if blob.integrity in DAMAGED:
        return f"stored file sha256:{blob.sha256[:12]} is {blob.integrity}"
    if not blob_storage().exists(blob.storage_name):
        return f"stored file sha256:{blob.sha256[:12]} is missing"
    return None


def _verify_after_commit(blob_id: int) -> None:
    from registry.broker import send_quietly
    from registry.tasks import verify_blob_integrity

    # A broker that is down must not fail a registration that already committed; the
    # blob stays 'unchecked' until the rolling verification reaches it.
    transaction.on_commit(lambda: send_quietly(verify_blob_integrity, args=[blob_id]))


def read_blob(blob: Blob) -> bytes:
    """The blob's bytes, re-hashed: a file changed on disk is never served as evidence.
    Raises ``BlobCorrupted`` when the file was changed or is missing."""
    try:
        with blob_storage().open(blob.storage_name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise BlobMissing(f"Stored file {blob.storage_name} (sha256 {blob.sha256}) is "
                          "missing from the blob store.") from None
    if sha256_hex(data) != blob.sha256:
        raise BlobCorrupted(f"Stored file {blob.storage_name} no longer matches sha256 "
                            f"{blob.sha256}; it was changed or damaged after upload.")
    return data


def orphan_files(grace: timedelta) -> Iterator[str]:
    """Names of files under ``sha256/`` that no Blob row refers to and that are older
    than ``grace`` (a registration in flight has written its file but not committed)."""
    storage = blob_storage()
    cutoff = timezone.now() - grace
    for name in _walk(storage, "sha256"):
        if Blob.objects.filter(storage_name=name).exists():
            continue
        try:
            if storage.get_modified_time(name) > cutoff:
                continue
        except (FileNotFoundError, NotImplementedError):
            continue
        yield name


def _walk(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(folders):
        yield from _walk(storage, f"{folder}/{sub}")
