from django.core.management.base import BaseCommand

from audit.context import change_context
from governance.reports.signing_keys import create_signing_key


class Command(BaseCommand):
    help = ("Create a new Ed25519 key that signs audit packs from now on. The private key "
            "is written to ASSAY_SIGNING_KEY_DIR/<key id>.pem (mode 0600); the previous key "
            "is retired for signing and its public key kept for verification. Prints the "
            "public key (also at /api/v1/signing-keys/).")

    def add_arguments(self, parser):
        parser.add_argument("--reason", default="", help="why (recorded in the audit trail)")

    def handle(self, *args, **options):
        with change_context("cli"):
            key = create_signing_key(actor=None, reason=options["reason"])
        self.stdout.write(f"Created signing key {key.key_id}\n{key.public_key_pem}")
