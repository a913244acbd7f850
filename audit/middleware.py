import re

from audit.context import change_context, new_request_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request a request id (echoed as X-Request-ID) and channel."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else new_request_id()
        path = request.path
        channel = "api" if path.startswith("/api/") else "admin" if path.startswith(
            "/admin/") else "web"
        with change_context(channel, request_id=request_id,
                            ip=request.META.get("REMOTE_ADDR")):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
