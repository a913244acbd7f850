import re

from django.utils import timezone
from rest_framework import authentication, exceptions

from registry.selectors import active_token
from registry.services import hash_token_secret, note_token_use

_TOKEN = re.compile(r"^assay_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer assay_<prefix>_<secret>``; scopes checked per view."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        match = _TOKEN.match(credentials.strip())
        if not match:
            raise exceptions.AuthenticationFailed("Malformed bearer token.")
        token = active_token(match.group(1), hash_token_secret(match.group(2)))
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or wrong token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"This token expired at {token.expires_at.isoformat()}.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        note_token_use(token, request.META.get("REMOTE_ADDR"))
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="assay"'
