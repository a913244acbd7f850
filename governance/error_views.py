"""Error pages: under /api/ every error is RFC 9457 problem+json (a client never has to
parse an HTML page), elsewhere Django's own pages."""

from django.http import JsonResponse
from django.views import defaults

from accounts.services import note_access_denied
from registry.api.problems import PROBLEM_CONTENT_TYPE


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _problem(request, slug: str, status: int, title: str, detail: str) -> JsonResponse:
    body = {"type": f"/api/problems/{slug}", "title": title, "status": status,
            "detail": detail, "instance": request.path}
    request_id = getattr(request, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def not_found(request, exception):
    if _is_api(request):
        return _problem(request, "not-found", 404, "No such resource",
                        f"Nothing is served at {request.path}; see /api/docs/.")
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    if _is_api(request):
        return _problem(request, "malformed-request", 400, "The request could not be parsed",
                        "The request is malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    note_access_denied(user=getattr(request, "user", None), path=request.path,
                       method=request.method, detail=str(exception))
    if _is_api(request):
        return _problem(request, "permission-denied", 403, "You may not do this",
                        str(exception) or "You may not do this.")
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return _problem(request, "server-error", 500, "Something went wrong on the server",
                        "Retry later; report the request id if it persists.")
    return defaults.server_error(request)
