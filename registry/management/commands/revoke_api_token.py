from django.core.management.base import BaseCommand, CommandError

from audit.context import change_context
from registry.models import ApiToken
from registry.services import revoke_api_token


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the 8 characters after 'assay_')."

    def add_arguments(self, parser):
        parser.add_argument("prefix")
        parser.add_argument("--reason", default="", help="why (recorded in the audit trail)")

    def handle(self, *args, **options):
        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"no token with prefix {options['prefix']!r}")
        with change_context("cli"):
            revoke_api_token(actor=None, token=token, reason=options["reason"])
        self.stdout.write(f"revoked {token}")
