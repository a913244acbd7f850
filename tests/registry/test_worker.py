"""A real Celery worker process, on the same database and broker as the test."""

import pytest

from audit.models import AuditEvent
from registry.blobs import blob_storage
from registry.models import Blob, ModelVersion
from registry.tasks import verify_blob_integrity
from tests.conftest import register
from tests.worker_process import broker_down, running_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def celery_worker_process(tmp_path):
    with running_worker(tmp_path / "worker.log") as worker:
        yield worker


@pytest.mark.worker
def test_worker_rehashes_a_new_artifact(celery_worker_process, ci_api, xgb_json):
    assert register(ci_api, "credit-pd", xgb_json).status_code == 201
    assert wait_for(lambda: Blob.objects.filter(integrity="verified").exists())
    event = AuditEvent.objects.get(action="blob.verified")
    assert (event.actor_kind, event.channel) == ("system", "worker")


def test_corrupted_blob_is_reported_not_retried(ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json)
    blob = Blob.objects.get()
    with blob_storage().open(blob.storage_name, "wb") as handle:
        handle.write(b"tampered")
    assert verify_blob_integrity(blob.pk) == "corrupted"
    assert AuditEvent.objects.filter(action="blob.corrupted").exists()


def test_registration_succeeds_while_broker_is_down(ci_api, xgb_json, settings, monkeypatch,
                                                   caplog):
    with broker_down(settings, monkeypatch):
        response = register(ci_api, "credit-pd", xgb_json)
    assert response.status_code == 201 and ModelVersion.objects.count() == 1
    assert Blob.objects.get().integrity == "unchecked"
    assert "could not enqueue registry.tasks.verify_blob_integrity" in caplog.text
