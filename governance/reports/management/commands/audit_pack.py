from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.context import change_context
from governance.reports import services
from governance.reports.signing_keys import SigningKeyMissing
from registry import selectors as registry_selectors


class Command(BaseCommand):
    help = ("Render (or fetch the stored) audit pack of a model version and write it to a "
            "file: a signed PDF/A-3b with the evidence embedded. Identical evidence gives "
            "the stored pack; the generation is audited.")

    def add_arguments(self, parser):
        parser.add_argument("model", help="model slug")
        parser.add_argument("version", type=int, help="version number")
        parser.add_argument("-o", "--output", required=True, help="where to write the PDF")

    def handle(self, *args, **options):
        model = registry_selectors.model_by_slug(options["model"])
        version = model and registry_selectors.version_of(model, options["version"])
        if version is None:
            raise CommandError(f"No version {options['version']} of {options['model']!r}.")
        try:
            with change_context("cli"):
                pack, created = services.generate_pack(actor=None, version=version,
                                                       trigger="cli")
                data = services.pack_bytes(actor=None, pack=pack)
        except SigningKeyMissing as error:
            raise CommandError(str(error)) from None
        Path(options["output"]).write_bytes(data)
        self.stdout.write(f"{'Rendered' if created else 'Stored'} pack {pack.pack_id}: "
                          f"{pack.pages} pages, sha256 {pack.sha256} -> {options['output']}")
