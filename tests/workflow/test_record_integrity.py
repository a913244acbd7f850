"""Forged approvals and edited decisions, approvals and statuses are detected: the gate
refuses them and verify_audit --deep names each one."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.selectors import verify_chain
from audit.services import record_event
from governance.workflow.deployability import model_answer, version_answer
from governance.workflow.integrity import record_mismatches
from governance.workflow.models import Approval, Decision
from registry.services import VersionMetadata, register_version
from tests.conftest import api_as


def _sql(statement, params=()):
    """What someone with SQL access as the application can do (no trigger guards these)."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def draft_v2(approved, ci, xgb_ubj, validation):
    version, _ = register_version(
        actor=ci, model=approved.model, data=xgb_ubj, filename="model.ubj",
        metadata=VersionMetadata(training_dataset=validation.pk,
                                 validation_dataset=validation.pk),
        idempotency_key=None, max_bytes=10**9)
    return version


def _forge_approval(version, document):
    """Append a correctly hashed approve event with the chain's own code."""
    with transaction.atomic():
        record_event(actor=None, action="version.transitioned", target=version,
                     before={"status": "draft"},
                     after={"status": "approved", "action": "approve", "approval": document})


def test_genuine_approval_has_no_mismatch_and_verifies_deep(approved, capsys):
    assert record_mismatches() == []
    call_command("verify_audit", "--deep")
    assert "deep checks passed" in capsys.readouterr().out


def test_forged_approve_event_on_a_draft_is_not_deployable(draft_v2, ci):
    genuine = AuditEvent.objects.get(action="version.transitioned", after__action="approve")
    document = genuine.after["approval"] | {"artifact_sha256": draft_v2.artifact.sha256}
    _forge_approval(draft_v2, document)
    assert verify_chain() is None  # the chain itself is intact
    assert version_answer(draft_v2).reasons == ["approval_unverified"]
    response = api_as(ci, "read").get("/api/v1/models/credit-pd/versions/2/deployable")
    assert response.status_code == 409
    assert [r["code"] for r in response.json()["reasons"]] == ["approval_unverified"]
    named = [str(m) for m in record_mismatches()]
    assert any("no approval record carries it" in m for m in named), named


def test_forged_event_naming_the_genuine_approval_id_is_not_deployable(draft_v2):
    genuine = AuditEvent.objects.get(action="version.transitioned", after__action="approve")
    _forge_approval(draft_v2, genuine.after["approval"])
    answer = model_answer(draft_v2.model)
    assert (answer.version.number, answer.reasons) == (2, ["approval_unverified"])
    assert version_answer(draft_v2).reasons == ["approval_unverified"]


def test_decision_signer_edited_in_sql_is_detected(approved, amy, dan):
    decision = Decision.objects.get(signer=amy)
    _sql("UPDATE workflow_decision SET signer_id = %s, signer_name = 'Dan' WHERE id = %s",
         [dan.pk, decision.pk])
    assert version_answer(approved).reasons == ["approval_unverified"]
    problems = [str(m) for m in record_mismatches()]
    assert any(f"workflow.decision {decision.pk}" in p and "signature does not verify" in p
               for p in problems), problems
    assert any("signer differs" in p for p in problems), problems
    with pytest.raises(CommandError, match="disagrees? with the audit trail") as failed:
        call_command("verify_audit", "--deep")
    assert f"[workflow.records] workflow.decision {decision.pk} (credit-pd v1): server " \
        "signature does not verify" in str(failed.value)


def test_approval_expiry_edited_in_sql_is_detected(approved):
    approval = Approval.objects.get()
    _sql("UPDATE workflow_approval SET expires_at = '2099-01-01 00:00:00', "
         "grace_until = '2099-02-01 00:00:00' WHERE id = %s", [approval.pk])
    assert version_answer(approved).reasons == ["approval_unverified"]
    problems = [str(m) for m in record_mismatches()]
    assert any("expires at differs" in p for p in problems), problems


def test_approval_artifact_hash_edited_in_sql_is_detected(approved):
    _sql("UPDATE workflow_approval SET artifact_sha256 = %s", ["0" * 64])
    assert version_answer(approved).reasons == ["approval_unverified"]
    assert any("artifact sha256 differs" in str(m) for m in record_mismatches())


def test_validation_signoff_opinion_edited_in_sql_is_named(approved):
    from governance.workflow.models import ValidationSignOff

    signoff = ValidationSignOff.objects.get()
    _sql("UPDATE workflow_validationsignoff SET opinion = 'fit_with_conditions'")
    problems = [str(m) for m in record_mismatches()]
    assert any(f"workflow.validationsignoff {signoff.pk}" in p and "opinion differs" in p
               for p in problems), problems


def test_version_status_edited_in_sql_is_named(reviewed):
    _sql("UPDATE registry_modelversion SET status = 'approved' WHERE id = %s", [reviewed.pk])
    last = AuditEvent.objects.filter(action="version.transitioned").order_by("-sequence")[0]
    assert [str(m) for m in record_mismatches()] == [
        f"registry.modelversion {reviewed.pk} (credit-pd v1): status differs from its audit "
        f"event (record: 'approved', event: 'in_validation') (event #{last.sequence})"]
    assert version_answer(reviewed).reasons == ["not_approved"]


def test_workflow_registers_its_record_check():
    from audit import deep_checks

    assert "workflow.records" in deep_checks.registered()


@pytest.fixture
def under_key_a(settings, db):
    settings.ASSAY_SERVER_KEYS = [("a", "a" * 32)]


def test_records_signed_under_a_dropped_key_do_not_verify(under_key_a, approved, settings):
    settings.ASSAY_SERVER_KEYS = [("b", "b" * 32)]
    assert version_answer(approved).reasons == ["approval_unverified"]


def test_records_signed_under_a_rotated_key_still_verify(under_key_a, approved, settings):
    settings.ASSAY_SERVER_KEYS = [("b", "b" * 32), ("a", "a" * 32)]
    assert version_answer(approved).deployable
