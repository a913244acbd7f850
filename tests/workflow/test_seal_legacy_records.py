"""Records made before server signatures are sealed once, only if they agree with their
audit events, and the run is audited."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from governance.workflow.deployability import version_answer
from governance.workflow.integrity import record_mismatches
from governance.workflow.management.commands.seal_legacy_records import Command
from governance.workflow.models import Approval, Decision


def _make_legacy():
    with connection.cursor() as cursor:
        for table in ("workflow_decision", "workflow_approval", "workflow_validationsignoff"):
            cursor.execute(f"UPDATE {table} SET event_hash = '', signature_key_id = '', "  # noqa: S608
                           "server_signature = ''")


@pytest.fixture
def legacy(approved):
    _make_legacy()
    return approved


def test_unsealed_records_are_not_trusted_by_the_gate(legacy):
    assert version_answer(legacy).reasons == ["approval_unverified"]
    assert all("seal_legacy_records" in m.problem for m in record_mismatches())


def test_sealing_restores_the_gate_and_is_audited(legacy, capsys):
    call_command("seal_legacy_records")
    assert "sealed 2 decision(s), 1 approval(s) and 1 validation sign-off(s)" in \
        capsys.readouterr().out
    assert version_answer(legacy).deployable and record_mismatches() == []
    event = AuditEvent.objects.get(action="records.sealed")
    assert (len(event.after["decisions"]), event.after["approvals"], event.channel) == (
        2, [Approval.objects.get().pk], "cli")


def test_second_run_seals_nothing(legacy, capsys):
    call_command("seal_legacy_records")
    call_command("seal_legacy_records")
    assert "sealed 0 decision(s), 0 approval(s) and 0 validation sign-off(s)" in \
        capsys.readouterr().out
    assert AuditEvent.objects.filter(action="records.sealed").count() == 1


def test_a_legacy_row_edited_before_sealing_is_refused(legacy, capsys):
    decision = Decision.objects.first()
    Decision.objects.filter(pk=decision.pk).update(reason="rubber-stamped")
    with pytest.raises(CommandError, match="1 record"):
        call_command("seal_legacy_records")
    assert f"NOT SEALED workflow.decision {decision.pk}: reason differs" in \
        capsys.readouterr().err
    assert Decision.objects.get(pk=decision.pk).server_signature == ""
    assert version_answer(legacy).reasons == ["approval_unverified"]


def test_dry_run_changes_nothing(legacy):
    call_command("seal_legacy_records", "--dry-run")
    assert not Decision.objects.exclude(server_signature="").exists()
    assert not AuditEvent.objects.filter(action="records.sealed").exists()


def test_help_explains_the_command():
    text = Command().create_parser("manage.py", "seal_legacy_records").format_help()
    assert "--dry-run" in text and "approval_unverified" in text
