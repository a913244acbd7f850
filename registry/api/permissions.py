from rest_framework import exceptions

from registry.models import ApiToken


def require_scope(request, scope: str, model=None) -> None:
    """Tokens carry scopes and may be limited to some models; sessions are the full user."""
    token = request.auth
    if not isinstance(token, ApiToken):
        return
    if scope not in token.scopes:
        raise exceptions.PermissionDenied(
            f"This token lacks the '{scope}' scope (it has: {', '.join(token.scopes)}).")
    if model is not None:
        allowed = token.restricted_to.all()
        if allowed and model not in allowed:
            raise exceptions.PermissionDenied(f"This token is not valid for model {model.slug!r}.")


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise exceptions.PermissionDenied(message)


def token_models(request):
    """The models a token is limited to (a queryset), or None when it may read them all
    (an unrestricted token, a session)."""
    token = request.auth
    if not isinstance(token, ApiToken):
        return None
    allowed = token.restricted_to.all()
    return allowed if allowed else None
