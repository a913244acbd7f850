"""SQLite: refuse an INSERT over an existing event.

``INSERT OR REPLACE`` (and ``REPLACE``) resolves a uniqueness conflict by
deleting the old row, and that implicit delete fires no DELETE trigger (unless
``recursive_triggers`` is on), so without this trigger any event could be
rewritten in place. The check runs before the conflict is resolved, so the
statement is aborted whatever its ON CONFLICT clause says. PostgreSQL has no
REPLACE; its ``INSERT ... ON CONFLICT DO UPDATE`` fires the UPDATE trigger.
"""

from django.db import migrations

SQLITE_INSTALL = [
    """CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_auditevent
       WHEN EXISTS (SELECT 1 FROM audit_auditevent
                    WHERE id = NEW.id OR sequence = NEW.sequence OR hash = NEW.hash)
       BEGIN SELECT RAISE(ABORT,
           'audit_auditevent is append-only: INSERT over an existing event refused'); END;""",
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_event_no_replace;"]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_INSTALL:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REMOVE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(install, remove)]
