"""A real Celery worker process, on the same database and broker as the test."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from registry.blobs import blob_storage
from registry.models import Blob, ModelVersion
from registry.tasks import verify_blob_integrity
from tests.conftest import register

pytestmark = pytest.mark.django_db(transaction=True)


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}")


@pytest.fixture
def celery_worker_process(tmp_path):
    log = tmp_path / "worker.log"
    env = os.environ | {"DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1",
                        "ASSAY_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": "worker-test"}
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "governance", "worker",
             "-Q", "cpu", "--pool", "solo", "--loglevel", "INFO", "-n", f"test-{os.getpid()}@%h"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
            time.sleep(0.2)
        yield worker
        worker.terminate()
        worker.wait(timeout=20)


def _wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.worker
def test_worker_rehashes_a_new_artifact(celery_worker_process, ci_api, xgb_json):
    assert register(ci_api, "credit-pd", xgb_json).status_code == 201
    assert _wait_for(lambda: Blob.objects.filter(integrity="verified").exists())
    event = AuditEvent.objects.get(action="blob.verified")
    assert (event.actor_kind, event.channel) == ("system", "worker")


def test_corrupted_blob_is_reported_not_retried(ci_api, xgb_json):
    register(ci_api, "credit-pd", xgb_json)
    blob = Blob.objects.get()
    with blob_storage().open(blob.storage_name, "wb") as handle:
        handle.write(b"tampered")
    assert verify_blob_integrity(blob.pk) == "corrupted"
    assert AuditEvent.objects.filter(action="blob.corrupted").exists()


def test_registration_succeeds_while_broker_is_down(ci_api, xgb_json, monkeypatch):
    from governance.celery import app

    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "broker_connection_timeout", 1)
    monkeypatch.setattr(app, "_pool", None)
    response = register(ci_api, "credit-pd", xgb_json)
    assert response.status_code == 201 and ModelVersion.objects.count() == 1
    assert Blob.objects.get().integrity == "unchecked"
