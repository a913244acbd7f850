from django.core.management.base import BaseCommand, CommandError

from audit import deep_checks
from audit.models import AuditEvent
from audit.selectors import verify_chain


class Command(BaseCommand):
    help = ("Walk the audit trail's hash chain from the first event and exit non-zero "
            "naming the first event that is missing, edited or out of order. --deep also "
            "compares the records other apps registered (audit/deep_checks.py) with the "
            "events that created them.")

    def add_arguments(self, parser):
        parser.add_argument("--deep", action="store_true",
                            help="also run every registered deep check")

    def handle(self, *args, **options):
        problem = verify_chain()
        if problem:
            raise CommandError(f"audit trail broken at {problem}")
        count = AuditEvent.objects.count()
        if options["deep"]:
            mismatches = deep_checks.run_deep_checks()
            if mismatches:
                lines = "\n".join(f"  {mismatch}" for mismatch in mismatches)
                raise CommandError(f"{len(mismatches)} record(s) disagree with the audit "
                                   f"trail:\n{lines}")
            self.stdout.write(f"deep checks passed: {len(deep_checks.registered())} checks")
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {count} events verified"))
