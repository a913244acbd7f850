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
