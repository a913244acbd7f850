"""Under a runtime role that does not own the audit table (the supported deployment),
PostgreSQL itself refuses UPDATE, DELETE and DISABLE/DROP TRIGGER, while the
application still records and verifies events."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.checks import audit_table_roles, runtime_role_problems
from audit.models import AuditEvent
from audit.selectors import verify_chain
from audit.services import record_event
from tests.conftest import postgres_only

pytestmark = pytest.mark.postgres
ROLE = "assay_runtime_test"
REF = ("tests.thing", "1", "thing one")


@pytest.fixture
def runtime_role(db):
    """SET LOCAL ROLE to a role granted what ``grant_runtime_role`` grants (only INSERT
    and SELECT on the audit table); the test's transaction rolls back the role, its
    grants and the SET at the end."""
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")  # the suite's own runtime role, if CI set one
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")
    call_command("grant_runtime_role", ROLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
    yield ROLE


def _refused(sql):
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refused.value)


def test_runtime_role_records_and_verifies_events(runtime_role, capsys):
    for i in range(3):
        with transaction.atomic():
            record_event(actor=None, action="thing.changed", target_ref=REF, after={"i": i})
    assert verify_chain() is None
    call_command("verify_audit")
    assert "3 events verified" in capsys.readouterr().out


def test_runtime_role_cannot_update_delete_or_truncate(runtime_role):
    with transaction.atomic():
        record_event(actor=None, action="thing.changed", target_ref=REF)
    for sql in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent",
                "TRUNCATE audit_auditevent"):
        assert "permission denied" in _refused(sql)
    assert AuditEvent.objects.count() == 1


def test_runtime_role_cannot_disable_or_drop_the_triggers(runtime_role):
    for sql in ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_event_no_delete ON audit_auditevent",
                "SET session_replication_role = replica"):
        assert "must be owner" in _refused(sql) or "permission denied" in _refused(sql)


def test_deploy_check_is_quiet_for_the_runtime_role(runtime_role):
    with connection.cursor() as cursor:
        assert runtime_role_problems(cursor) == []


def test_deploy_check_warns_when_the_app_can_disable_the_triggers(db):
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")  # as the owner (a superuser in CI), not a runtime role
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    warnings = audit_table_roles()
    assert [w.id for w in warnings] == ["audit.W001"]
    assert ("superuser" if superuser else "DISABLE or DROP") in warnings[0].msg


def test_deploy_check_warns_about_an_owner_role(db):
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}_owner")
        cursor.execute(f"CREATE ROLE {ROLE}_owner NOLOGIN")
        cursor.execute(f"ALTER TABLE audit_auditevent OWNER TO {ROLE}_owner")
        cursor.execute(f"SET LOCAL ROLE {ROLE}_owner")
        problems = runtime_role_problems(cursor)
    assert len(problems) == 1 and "owns audit_auditevent" in problems[0]


def test_runtime_role_writes_the_other_tables(runtime_role):
    from audit import anchors
    from audit.tasks import verify_audit_chain

    with transaction.atomic():
        record_event(actor=None, action="thing.changed", target_ref=REF)
    anchors.write_anchor()
    assert verify_audit_chain() == "verified"
