"""``manage.py check --deploy``: is the audit trail deployed so that the application
itself cannot rewrite it?

The append-only triggers only hold against a role that cannot disable them. In
PostgreSQL the owner of a table (and every member of the owning role, and a
superuser) may ``ALTER TABLE ... DISABLE TRIGGER`` or ``DROP TRIGGER``; so the
application must run as a *runtime role* that does not own the audit table and
has only INSERT and SELECT on it, while a separate *migration role* owns the
schema (README, "Database roles"; docs/SECURITY.md).
"""

from django.conf import settings
from django.core.checks import Warning, register
from django.db import DatabaseError, connection

from audit import keys

AUDIT_TABLE = "audit_auditevent"


def runtime_role_problems(cursor) -> list[str]:
    """What the current role may do to the audit table that it should not."""
    cursor.execute("""
        SELECT current_user, pg_get_userbyid(c.relowner),
               pg_has_role(current_user, c.relowner, 'MEMBER'),
               (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
               has_table_privilege(current_user, c.oid, 'UPDATE'),
               has_table_privilege(current_user, c.oid, 'DELETE'),
               has_table_privilege(current_user, c.oid, 'TRUNCATE')
        FROM pg_class c WHERE c.oid = to_regclass(%s)""", [AUDIT_TABLE])
    row = cursor.fetchone()
    if row is None:
        return []
    user, owner, member_of_owner, superuser, update, delete, truncate = row
    problems = []
    if superuser:
        problems.append(f"the application connects as {user!r}, a superuser: it can bypass "
                        "the audit table's triggers (session_replication_role)")
    elif member_of_owner:
        how = "owns" if user == owner else f"is a member of {owner!r}, which owns"
        problems.append(f"the application's role {user!r} {how} {AUDIT_TABLE}: it can "
                        "DISABLE or DROP its append-only triggers")
    granted = [name for name, held in (("UPDATE", update), ("DELETE", delete),
                                       ("TRUNCATE", truncate)) if held]
    if granted and not superuser and not member_of_owner:
        problems.append(f"the application's role {user!r} holds {', '.join(granted)} on "
                        f"{AUDIT_TABLE}; it needs only INSERT and SELECT")
    return problems


@register("security", deploy=True)
def audit_table_roles(app_configs=None, **kwargs):
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            problems = runtime_role_problems(cursor)
    except DatabaseError:  # no database to ask (yet): nothing to say about its roles
        return []
    return [Warning(problem, id="audit.W001",
                    hint="Run the application as a runtime role with only INSERT and SELECT "
                         "on audit_auditevent, and migrate as the schema's owner "
                         "(DATABASE_MIGRATION_URL); see README, 'Database roles'.")
            for problem in problems]


@register("security", deploy=True)
def server_keys_configured(app_configs=None, **kwargs):
    if getattr(settings, "ASSAY_SERVER_KEYS", None):
        return []
    return [Warning(
        f"ASSAY_SERVER_KEYS is not set: the audit chain's keyed hashes and anchors use a key "
        f"derived from SECRET_KEY ({keys.DERIVED_KEY_ID!r}).",
        id="audit.W002",
        hint="Set ASSAY_SERVER_KEYS=id:secret (32+ characters), kept apart from the database "
             "and its backups. What the derived key signed still verifies while SECRET_KEY "
             "stays the same.")]
