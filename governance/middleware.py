from django.conf import settings

DEFAULT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                  "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")


class ContentSecurityPolicyMiddleware:
    """No inline script anywhere: every page, the API docs included, loads scripts
    from our own static files."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "ASSAY_CONTENT_SECURITY_POLICY", DEFAULT_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        return response


class RefuseNulCharactersMiddleware:
    """A NUL character cannot be stored or even compared in PostgreSQL text: a query
    parameter holding one is a 400 here, before any view runs. Web form bodies are
    checked by RefuseNulInFormsMiddleware, after the CSRF check; JSON bodies by the
    API's parser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in value for value in values)
               for key, values in request.GET.lists()):
            return _refuse_nul(request)
        return self.get_response(request)


class RefuseNulInFormsMiddleware:
    """The same refusal for a web form's fields (the API's parsers refuse NUL in their
    bodies themselves). No browser can type a NUL, so only a forged post meets this; the
    page names each field. It runs as process_view, after the CSRF check, so a post
    without a valid token is still refused by that check first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        fields = sorted({key for key, values in request.POST.lists()
                         if "\x00" in key or any("\x00" in value for value in values)})
        if not fields:
            return None
        from django.template.response import TemplateResponse

        return TemplateResponse(request, "400.html", {"fields": [
            field.replace("\x00", "\\u0000")[:100] for field in fields]}, status=400)


def _refuse_nul(request):
    from django.http import HttpResponseBadRequest, JsonResponse

    detail = "A parameter contains a NUL character (\\u0000), which is not accepted."
    if request.path.startswith("/api/"):
        return JsonResponse({"type": "/api/problems/malformed-request",
                             "title": "The request could not be parsed", "status": 400,
                             "detail": detail, "instance": request.path}, status=400,
                            content_type="application/problem+json")
    return HttpResponseBadRequest(detail)
