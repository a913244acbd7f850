from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.reports.models import SigningKey
from registry.packfile import describe, verify


class Command(BaseCommand):
    help = ("Verify an audit pack PDF: its Ed25519 signature, the sha256 of the document "
            "and of every embedded file. The key is the server's published key of the id "
            "named in the pack (retired keys included), or --key. Exits 1 naming each "
            "difference.")

    def add_arguments(self, parser):
        parser.add_argument("pack", help="the audit pack PDF")
        parser.add_argument("--key", help="a public key PEM file instead of the server's")

    def handle(self, *args, **options):
        try:
            data = Path(options["pack"]).read_bytes()
        except OSError as error:
            raise CommandError(f"{options['pack']}: {error.strerror}") from None
        key = Path(options["key"]).read_bytes() if options["key"] else None
        if key is None:
            first = verify(data)
            known = SigningKey.objects.filter(key_id=first.manifest.get("key_id")).first()
            if known is None and first.manifest:
                raise CommandError(f"The pack is signed with key {first.manifest.get('key_id')}"
                                   ", which this server never published.")
            key = known.public_key_pem.encode() if known else None
        result = verify(data, key)
        if not result.ok:
            raise CommandError("; ".join(result.problems))
        manifest = result.manifest
        self.stdout.write(f"OK: {describe(manifest)} is intact, signed by "
                          f"{manifest['key_id']}.")
