"""The two PostgreSQL roles of a deployment (README, "Database roles").

- the *migration role* owns the schema: ``manage.py migrate`` connects with
  ``DATABASE_MIGRATION_URL`` when it is set, creates and alters the tables, and then
  grants the runtime role (``DATABASE_URL``'s user) what it needs
  (``grant_after_migrate``; ``manage.py grant_runtime_role <role>`` does it by hand);
- the *runtime role* (``DATABASE_URL``: web, workers, beat) owns nothing: it reads and
  writes the application's tables, but on an append-only table it may only INSERT
  and SELECT. Not owning the table, it cannot disable or drop the triggers either.
"""

from django.conf import settings
from django.db import connections

APPEND_ONLY_TABLES = ("audit_auditevent",)


def grant_statements(role: str, tables: list[str], sequences: list[str]) -> list[str]:
    quoted = _quote(role)
    statements = [f"GRANT USAGE ON SCHEMA public TO {quoted}"]
    for table in tables:
        if table in APPEND_ONLY_TABLES:
            statements.append(f"REVOKE ALL ON {_quote(table)} FROM {quoted}")
            statements.append(f"GRANT SELECT, INSERT ON {_quote(table)} TO {quoted}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {_quote(table)} "
                              f"TO {quoted}")
    statements += [f"GRANT USAGE, SELECT ON SEQUENCE {_quote(name)} TO {quoted}"
                   for name in sequences]
    return statements


def grant_runtime_privileges(role: str, using: str = "default") -> list[str]:
    """Grant ``role`` the runtime privileges on every table now in the schema; run as
    the owner after each migration. Returns the statements it ran."""
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        cursor.execute("SELECT sequence_name FROM information_schema.sequences "
                       "WHERE sequence_schema = 'public'")
        sequences = [row[0] for row in cursor.fetchall()]
        statements = grant_statements(role, tables, sequences)
        for statement in statements:
            cursor.execute(statement)
    return statements


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: when migrating as the owner (DATABASE_MIGRATION_URL), grant the
    runtime role the privileges on the tables as they now are."""
    role = getattr(settings, "ASSAY_DB_RUNTIME_ROLE", "")
    connection = connections[using]
    if not role or connection.vendor != "postgresql" or \
            connection.settings_dict.get("USER") == role:
        return
    grant_runtime_privileges(role, using=using)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
