from django.core.management.base import BaseCommand

from registry.models import Blob
from registry.tasks import verify_blob_integrity


class Command(BaseCommand):
    help = ("Re-hash stored artifacts and datasets. By default every blob not yet verified, "
            "in this process; --all for every blob; --enqueue to hand them to the workers.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="also blobs verified before")
        parser.add_argument("--enqueue", action="store_true", help="run on the Celery workers")

    def handle(self, *args, **options):
        blobs = Blob.objects.all() if options["all"] else Blob.objects.filter(
            integrity="unchecked")
        outcomes: dict[str, int] = {}
        for blob_id in blobs.values_list("pk", flat=True):
            if options["enqueue"]:
                verify_blob_integrity.delay(blob_id)
                outcome = "enqueued"
            else:
                outcome = verify_blob_integrity(blob_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.stdout.write(", ".join(f"{n} {k}" for k, n in outcomes.items()) or "nothing to do")
        if outcomes.get("corrupted") or outcomes.get("missing"):
            raise SystemExit(1)
