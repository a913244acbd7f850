from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit.context import change_context
from governance.environment import parse_duration
from registry.models import ApiToken, RegisteredModel
from registry.services import create_api_token


class Command(BaseCommand):
    help = ("Create an API token for a user and print it once. Only its hash is stored. "
            "Example: manage.py create_api_token --user ci --scope register --expires 90d")

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username the token acts as")
        parser.add_argument("--scope", action="append", required=True,
                            choices=ApiToken.Scope.values,
                            help="repeat for several: read, register, manage")
        parser.add_argument("--expires", default=settings.ASSAY_TOKEN_DEFAULT_LIFETIME,
                            help="lifetime such as 30m, 12h, 90d, 2w (default %(default)s)")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'GitLab CI'")
        parser.add_argument("--model", action="append", default=[],
                            help="restrict the token to this model slug (repeatable)")

    def handle(self, *args, **options):
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no active user {options['user']!r}") from None
        try:
            lifetime = parse_duration(options["expires"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        models = list(RegisteredModel.objects.filter(slug__in=options["model"]))
        unknown = set(options["model"]) - {model.slug for model in models}
        if unknown:
            raise CommandError(f"unknown model slug(s): {', '.join(sorted(unknown))}")
        with change_context("cli"):
            token, plaintext = create_api_token(
                actor=None, user=user, name=options["name"] or f"{user.username} token",
                scopes=options["scope"], lifetime=lifetime, models=models)
        self.stderr.write(f"Token {token.prefix} for {user.username}, scopes "
                          f"{', '.join(token.scopes)}, expires {token.expires_at:%Y-%m-%d %H:%M} "
                          "UTC. It is shown once; store it in your CI secrets.")
        self.stdout.write(plaintext)
