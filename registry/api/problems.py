"""RFC 9457 problem details for every API error.

``type`` is a stable relative URI (``/api/problems/<slug>``) that a client can
switch on; ``GET`` on it explains the problem to a person.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.services import note_access_denied
from registry.errors import RegistryError

PROBLEM_CONTENT_TYPE = "application/problem+json"

# slug -> (title, what to do about it); DRF's own errors. Domain errors (RegistryError
# and the subclasses other apps define) are added by ``catalogue()``.
_DRF_CATALOGUE = {
    "malformed-request": ("The request body could not be parsed",
                          "Send valid JSON (or multipart with a JSON 'metadata' part)."),
    "validation-error": ("Some fields are missing or invalid",
                         "See 'errors' for each field's message and correct them."),
    "not-authenticated": ("Authentication is required",
                          "Send 'Authorization: Bearer <token>' with a valid, unexpired token."),
    "permission-denied": ("You may not do this",
                          "Ask a risk officer for the role, model access or token scope."),
    "not-found": ("No such resource", "Check the slug, number or id in the URL."),
    "method-not-allowed": ("This method is not allowed here", "See the OpenAPI docs."),
    "unsupported-media-type": ("This content type is not accepted",
                               "Use application/json or multipart/form-data."),
    "not-acceptable": ("The requested representation is not available", "Accept JSON."),
    "throttled": ("Too many requests", "Wait and retry."),
    "server-error": ("Something went wrong on the server",
                     "Retry later; report the request id if it persists."),
}


def _domain_errors(cls=RegistryError):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _domain_errors(subclass)


def catalogue() -> dict[str, tuple[str, str]]:
    """Every problem type; read at call time, so apps loaded later are included."""
    return _DRF_CATALOGUE | {cls.problem_type: (cls.title, (cls.__doc__ or "").strip())
                             for cls in _domain_errors()}

_DRF_TYPES = [
    (exceptions.ParseError, "malformed-request"),
    (exceptions.ValidationError, "validation-error"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "not-authenticated"),
    (exceptions.PermissionDenied, "permission-denied"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.Throttled, "throttled"),
]


def problem_response(slug: str, status_code: int, detail: str, request=None,
                     title: str | None = None, **extra) -> Response:
    body = {
        "type": f"/api/problems/{slug}",
        "title": title or _DRF_CATALOGUE.get(slug, (slug,))[0],
        "status": status_code,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.path
        request_id = getattr(request, "request_id", None) or getattr(
            getattr(request, "_request", None), "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _flatten_detail(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten_detail(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_flatten_detail(value)}" for key, value in detail.items())
    return str(detail)


def _note_denied(request, detail: str) -> None:
    """A refused action is a security event an auditor can search for."""
    if request is not None:
        note_access_denied(user=request.user, path=request.path, method=request.method,
                           detail=detail)


def problem_exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, RegistryError):
        if exc.status == status.HTTP_403_FORBIDDEN:
            _note_denied(request, exc.detail)
        return problem_response(exc.problem_type, exc.status, exc.detail, request,
                                title=exc.title, **exc.extra)
    if isinstance(exc, RequestDataTooBig):
        return problem_response("payload-too-large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                str(exc), request)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    slug = next((s for cls, s in _DRF_TYPES if isinstance(exc, cls)), "server-error")
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {
            "non_field_errors": exc.detail}
        detail = "Invalid input: " + _flatten_detail(exc.detail)
    else:
        detail = _flatten_detail(exc.detail)
    if slug == "permission-denied":
        _note_denied(request, detail)
    problem = problem_response(slug, response.status_code, detail, request, **extra)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem
