"""The deploy gate refuses when a file an approval is bound to is changed or missing."""

from explain.models import EvidenceRun
from governance.workflow.deployability import version_answer
from registry.blobs import blob_storage
from registry.tasks import verify_blobs_rolling
from tests.conftest import api_as
from tests.explain.conftest import _slow_heartbeat  # noqa: F401 autouse: no heartbeat thread

GATE = "/api/v1/models/credit-pd/deployable"


def test_changed_artifact_file_turns_the_gate_409(approved, ci):
    with blob_storage().open(approved.artifact.storage_name, "wb") as handle:
        handle.write(b"swapped model")
    assert api_as(ci, "read").get(GATE).status_code == 200  # not yet re-verified
    verify_blobs_rolling()
    response = api_as(ci, "read").get(GATE)
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["stored_file_damaged"]


def test_missing_artifact_file_turns_the_gate_409_at_once(approved, ci):
    blob_storage().delete(approved.artifact.storage_name)
    response = api_as(ci, "read").get(GATE)
    assert response.status_code == 409
    assert "missing" in response.json()["reasons"][0]["message"]


def test_missing_evidence_result_file_refuses_the_version(approved):
    run = EvidenceRun.objects.filter(version=approved, result_blob__isnull=False).first()
    blob_storage().delete(run.result_blob.storage_name)
    assert version_answer(approved).reasons == ["stored_file_damaged"]


def test_missing_validation_report_file_refuses_the_version(approved):
    from governance.workflow.gates import current_report

    blob_storage().delete(current_report(approved).blob.storage_name)
    assert version_answer(approved).reasons == ["stored_file_damaged"]
