"""Stored files survive a broker outage, are restored, re-verified in turn, and orphans
are collected after a grace period (issue 11, "Stored files")."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from audit.models import AuditEvent
from explain.models import EvidenceRun
from registry import broker
from registry.blobs import blob_storage, blob_transaction, store_blob
from registry.models import Blob, ModelVersion
from registry.tasks import collect_orphan_files, verify_blob_integrity, verify_blobs_rolling
from tests.conftest import register
from tests.explain.conftest import credit_frame, validation  # noqa: F401 fixtures


def _run_on_commit_hooks(monkeypatch):
    """The test's transaction never commits: run each on-commit hook at once, as a real
    commit would, after the block (here: as soon as it is registered)."""
    monkeypatch.setattr(transaction, "on_commit", lambda hook, **kw: hook())


def test_failing_hook_after_commit_does_not_delete_the_committed_file(db, monkeypatch):
    hooks = []
    monkeypatch.setattr(transaction, "on_commit", lambda hook, **kw: hooks.append(hook))
    with pytest.raises(SystemExit), blob_transaction():
        blob = store_blob(b"committed artifact")
        for hook in hooks:  # the commit: the marker, then a hook that dies (worker timeout)
            hook()
        raise SystemExit("gunicorn worker timeout")
    assert blob_storage().exists(blob.storage_name)


def test_rolled_back_upload_leaves_no_file(db):
    with pytest.raises(ValueError), blob_transaction():
        blob = store_blob(b"never committed")
        raise ValueError("validation failed after the file was written")
    assert not blob_storage().exists(blob.storage_name)


def test_rollback_keeps_a_file_a_committed_row_refers_to(db):
    name = "sha256/aa/bb/shared-name"
    blob_storage().save(name, ContentFile(b"x"))
    Blob.objects.create(sha256="a" * 64, size=1, storage_name=name)
    with pytest.raises(ValueError), blob_transaction():
        from registry.blobs import _written_in_transaction

        _written_in_transaction.get().append(name)  # as if this upload had written it
        raise ValueError("rolled back")
    assert blob_storage().exists(name)


def test_registration_with_the_broker_down_keeps_the_artifact_and_answers_fast(
        ci_api, xgb_json, monkeypatch):
    from explain.tasks import execute_evidence_run
    from registry.tasks import verify_blob_integrity as verify_task

    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(execute_evidence_run, "apply_async", down)
    monkeypatch.setattr(verify_task, "apply_async", down)
    _run_on_commit_hooks(monkeypatch)
    response = register(ci_api, "credit-pd", xgb_json)
    assert response.status_code == 201
    version = ModelVersion.objects.get()
    assert blob_storage().exists(version.artifact.storage_name)
    assert len(calls) == 1, "after one failed send the request leaves the rest to the sweeper"
    assert broker.broker_backing_off()


def test_sweeper_sends_after_the_backoff(ci_api, xgb_json, monkeypatch, validation):  # noqa: F811
    from explain.services import dispatch_pending_runs, dispatch_run
    from explain.tasks import execute_evidence_run

    monkeypatch.setattr(execute_evidence_run, "apply_async",
                        lambda **kw: (_ for _ in ()).throw(ConnectionRefusedError("down")))
    register(ci_api, "credit-pd", xgb_json,
             metadata={"training_dataset": validation.pk, "validation_dataset": validation.pk})
    run = EvidenceRun.objects.first()
    assert run is not None and not dispatch_run(run.pk)  # backing off: not even tried
    sent = []
    monkeypatch.setattr(execute_evidence_run, "apply_async", lambda **kw: sent.append(kw))
    assert dispatch_pending_runs() == EvidenceRun.objects.count() == len(sent)


def test_storage_failure_answers_a_clear_503(ci_api, xgb_json, monkeypatch):
    storage = blob_storage()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(storage), "save", full)
    response = register(ci_api, "credit-pd", xgb_json)
    assert response.status_code == 503
    assert response.json()["type"].endswith("/storage-unavailable")
    assert ModelVersion.objects.count() == 0


def test_store_blob_restores_a_missing_file(db):
    with blob_transaction():
        blob = store_blob(b"artifact bytes")
    blob_storage().delete(blob.storage_name)
    with blob_transaction():
        again = store_blob(b"artifact bytes")
    assert again.pk == blob.pk
    with blob_storage().open(again.storage_name, "rb") as handle:
        assert handle.read() == b"artifact bytes"


def test_reregistering_the_same_bytes_restores_the_missing_artifact(ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json)
    blob = Blob.objects.get()
    blob_storage().delete(blob.storage_name)
    assert register(ci_api, "credit-pd", xgb_json).status_code == 200
    assert verify_blob_integrity(blob.pk) == "verified"


def test_verify_reports_a_missing_file_instead_of_crashing(db):
    with blob_transaction():
        blob = store_blob(b"will vanish")
    blob_storage().delete(blob.storage_name)
    assert verify_blob_integrity(blob.pk) == "missing"
    assert Blob.objects.get(pk=blob.pk).integrity == "missing"
    assert AuditEvent.objects.filter(action="blob.missing").exists()


def test_reverification_with_the_same_outcome_is_not_audited_again(db):
    with blob_transaction():
        blob = store_blob(b"steady")
    verify_blob_integrity(blob.pk)
    verify_blob_integrity(blob.pk)
    assert AuditEvent.objects.filter(action="blob.verified").count() == 1


def test_rolling_verification_checks_the_oldest_first_within_the_byte_budget(db, settings):
    with blob_transaction():
        blobs = [store_blob(bytes([i]) * 100) for i in range(3)]
    settings.ASSAY_BLOB_VERIFY_BYTES_PER_RUN = 250
    assert verify_blobs_rolling()["verified"] == 2
    assert verify_blobs_rolling()["verified"] == 2  # the third, then the oldest again
    checked = Blob.objects.filter(pk__in=[b.pk for b in blobs]).exclude(verified_at=None)
    assert checked.count() == 3


def test_rolling_verification_finds_a_changed_file(db):
    with blob_transaction():
        blob = store_blob(b"original")
    with blob_storage().open(blob.storage_name, "wb") as handle:
        handle.write(b"tampered")
    assert verify_blobs_rolling()["corrupted"] == 1


def _orphan(age: timedelta) -> str:
    name = blob_storage().save("sha256/ff/ee/orphan", ContentFile(b"left by a crash"))
    path = blob_storage().path(name)
    old = time.time() - age.total_seconds()
    os.utime(path, (old, old))
    return name


def test_orphan_files_are_collected_after_the_grace_period(db):
    old, fresh = _orphan(timedelta(days=2)), _orphan(timedelta(minutes=1))
    with blob_transaction():
        kept = store_blob(b"referenced")
    os.utime(blob_storage().path(kept.storage_name), (0, 0))
    assert collect_orphan_files(timedelta(days=1)) == 1
    storage = blob_storage()
    assert (storage.exists(old), storage.exists(fresh), storage.exists(kept.storage_name)) == (
        False, True, True)
    assert AuditEvent.objects.filter(action="blob.orphan_deleted").count() == 1
    storage.delete(fresh)
