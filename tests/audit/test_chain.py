import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.selectors import verify_chain
from audit.services import AuditOutsideTransaction, record_event
from tests.conftest import as_database_owner

REF = ("tests.thing", "1", "thing one")
# The trigger refuses; under a runtime role (CI) the missing privilege refuses first.
REFUSED = "append-only|permission denied"


def _events(n, actor=None):
    for i in range(n):
        with transaction.atomic():
            record_event(actor=actor, action="thing.changed", target_ref=REF, after={"i": i})


def _tamper(sql, params=()):
    """What a superuser with direct database access could do."""
    with connection.cursor() as cursor, as_database_owner(cursor):
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
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEvent.objects.update(reason="edited")


def test_database_refuses_delete(db):
    _events(1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
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


def test_sqlite_refuses_insert_or_replace_over_an_event(db):
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    _events(2)
    original = AuditEvent.objects.get(sequence=1)
    columns = [f.column for f in AuditEvent._meta.concrete_fields]
    values = {c: getattr(original, f.attname)
              for c, f in zip(columns, AuditEvent._meta.concrete_fields, strict=True)}
    values["reason"] = "rewritten"
    values["before"] = values["after"] = None
    placeholders = ", ".join(["%s"] * len(columns))
    for verb in ("INSERT OR REPLACE", "REPLACE"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(f"{verb} INTO audit_auditevent ({', '.join(columns)}) "
                           f"VALUES ({placeholders})", list(values.values()))
    assert AuditEvent.objects.get(sequence=1).reason == ""
    assert verify_chain() is None


def test_sqlite_refuses_upsert_over_an_event(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's REPLACE family")
    _events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditevent (sequence, timestamp, actor_name, "
                       "actor_kind, action, target_type, target_id, target_label, reason, "
                       "request_id, channel, previous_hash, hash) SELECT sequence, timestamp, "
                       "actor_name, actor_kind, action, target_type, target_id, target_label, "
                       "'x', request_id, channel, previous_hash, hash FROM audit_auditevent "
                       "WHERE true "
                       "ON CONFLICT(sequence) DO UPDATE SET reason = 'rewritten'")


def test_deep_check_mismatches_fail_verify_audit(db):
    from audit import deep_checks

    @deep_checks.register("tests.always_wrong")
    def always_wrong():
        yield deep_checks.Mismatch("tests.thing", "1", "signer differs from its event")

    try:
        _events(1)
        with pytest.raises(CommandError, match=r"\[tests.always_wrong\] tests.thing 1: signer"):
            call_command("verify_audit", "--deep")
    finally:
        deep_checks.unregister("tests.always_wrong")


def test_deep_check_that_raises_is_a_failure_not_intact(db):
    from audit import deep_checks

    @deep_checks.register("tests.broken")
    def broken():
        raise ValueError("boom")

    try:
        assert "the check itself failed" in str(deep_checks.run_deep_checks()[0])
    finally:
        deep_checks.unregister("tests.broken")


def test_verify_audit_deep_passes_with_agreeing_checks(db, capsys):
    _events(1)
    call_command("verify_audit", "--deep")
    assert "1 events verified" in capsys.readouterr().out


def test_deploy_check_warns_without_configured_server_keys(settings):
    from audit.checks import server_keys_configured

    settings.ASSAY_SERVER_KEYS = []
    assert [w.id for w in server_keys_configured()] == ["audit.W002"]
    settings.ASSAY_SERVER_KEYS = [("k1", "k" * 32)]
    assert server_keys_configured() == []


def test_events_of_the_derived_key_verify_after_keys_are_configured(db, settings):
    settings.ASSAY_SERVER_KEYS = []
    _events(1)
    settings.ASSAY_SERVER_KEYS = [("k1", "k" * 32)]
    _events(1)
    assert [e.key_id for e in AuditEvent.objects.order_by("sequence")] == ["derived-1", "k1"]
    assert verify_chain() is None


def test_grants_give_append_only_tables_only_select_and_insert():
    from audit.database_roles import grant_statements

    statements = grant_statements("app", ["audit_auditevent", "registry_blob"], ["seq"])
    assert 'GRANT SELECT, INSERT ON "audit_auditevent" TO "app"' in statements
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON "registry_blob" TO "app"' in statements
    assert not any("UPDATE" in s and "audit_auditevent" in s and s.startswith("GRANT")
                   for s in statements)
