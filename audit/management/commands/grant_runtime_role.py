from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from audit.database_roles import grant_runtime_privileges


class Command(BaseCommand):
    help = ("PostgreSQL: grant the application's runtime role what it needs on every table "
            "(SELECT, INSERT, UPDATE, DELETE; only SELECT and INSERT on append-only tables "
            "such as the audit trail), as the schema's owner. `migrate` does it itself when "
            "DATABASE_MIGRATION_URL is set; by hand: DATABASE_URL=<owner's URL> manage.py "
            "grant_runtime_role assay_app")

    def add_arguments(self, parser):
        parser.add_argument("role", help="the runtime role (DATABASE_URL's user)")
        parser.add_argument("--database", default="default",
                            help="the database alias to connect with (as the owner)")

    def handle(self, *args, role, database, **options):
        if connections[database].vendor != "postgresql":
            raise CommandError("database roles are a PostgreSQL deployment's concern")
        statements = grant_runtime_privileges(role, using=database)
        self.stdout.write(self.style.SUCCESS(
            f"granted {role!r} the runtime privileges ({len(statements)} statements)"))
