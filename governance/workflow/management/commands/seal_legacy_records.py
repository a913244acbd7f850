from django.core.management.base import BaseCommand, CommandError

from audit.context import change_context
from governance.workflow.services import seal_legacy_records


class Command(BaseCommand):
    help = ("Sign, once, the decisions, approvals and validation sign-offs recorded before Assay signed them with "
            "a server key (audit.keys). Until they are sealed the deploy gate answers "
            "'approval_unverified' for them and verify_audit --deep names them. A record is "
            "sealed only if it agrees with the audit event that created it; those that do "
            "not are listed and left unsealed (investigate them: they were changed outside "
            "Assay). Already sealed records are skipped. The run is recorded in the audit "
            "trail as 'records.sealed'. Run it once after upgrading, with the production "
            "ASSAY_SERVER_KEYS in the environment.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would be sealed or refused; change nothing")

    def handle(self, *args, **options):
        with change_context("cli"):
            report = seal_legacy_records(dry_run=options["dry_run"])
        verb = "would seal" if options["dry_run"] else "sealed"
        self.stdout.write(f"{verb} {len(report.decisions)} decision(s), "
                          f"{len(report.approvals)} approval(s) and {len(report.signoffs)} "
                          "validation sign-off(s)")
        for line in report.refused:
            self.stderr.write(f"NOT SEALED {line}")
        if report.refused:
            raise CommandError(f"{len(report.refused)} record(s) disagree with the audit trail "
                               "and were not sealed")
