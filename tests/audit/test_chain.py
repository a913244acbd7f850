import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.selectors import verify_chain
from audit.services import AuditOutsideTransaction, record_event

REF = ("tests.thing", "1", "thing one")


def _events(n, actor=None):
    for i in range(n):
        with transaction.atomic():
            record_event(actor=actor, action="thing.changed", target_ref=REF, after={"i": i})


def _tamper(sql, params=()):
    """What a superuser with direct database access could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute(sql, params)


def test_chain_links_each_event_to_the_one_before(db):
    _events(3)
    first, second, third = AuditEvent.objects.order_by("sequence")
    assert (second.previous_hash, third.previous_hash) == (first.hash, second.hash)
    assert verify_chain() is None


def test_event_freezes_actor_name_and_kind(olivia):
    _events(1, actor=olivia)
    event = AuditEvent.objects.get()
    assert (event.actor_name, event.actor_kind) == ("Olivia Owen (olivia)", "user")


def test_service_account_is_recorded_as_service(ci):
    _events(1, actor=ci)
    assert AuditEvent.objects.get().actor_kind == "service"


@pytest.mark.django_db(transaction=True)
def test_record_outside_transaction_is_refused():
    with pytest.raises(AuditOutsideTransaction):
        record_event(actor=None, action="thing.changed", target_ref=REF)


def test_database_refuses_update(db):
    _events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(reason="edited")


def test_database_refuses_delete(db):
    _events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_verify_names_an_edited_event(db):
    _events(3)
    _tamper("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE sequence = 2")
    assert verify_chain().sequence == 2
    assert "edited" in verify_chain().problem


def test_verify_names_a_deleted_event(db):
    _events(3)
    _tamper("DELETE FROM audit_auditevent WHERE sequence = 2")
    assert (verify_chain().sequence, "missing" in verify_chain().problem) == (2, True)


def test_verify_audit_command_fails_naming_the_event(db):
    _events(4)
    _tamper("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE sequence = 3")
    with pytest.raises(CommandError, match="#3"):
        call_command("verify_audit")


def test_verify_audit_command_passes_on_intact_chain(db, capsys):
    _events(2)
    call_command("verify_audit")
    assert "2 events verified" in capsys.readouterr().out
