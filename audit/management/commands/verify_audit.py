from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent
from audit.selectors import verify_chain


class Command(BaseCommand):
    help = ("Walk the audit trail's hash chain from the first event and exit non-zero "
            "naming the first event that is missing, edited or out of order.")

    def handle(self, *args, **options):
        problem = verify_chain()
        if problem:
            raise CommandError(f"audit trail broken at {problem}")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {count} events verified"))
