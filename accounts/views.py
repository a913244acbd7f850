from django.contrib.auth.views import LoginView

from accounts.forms import ThrottledAuthenticationForm


class ThrottledLoginView(LoginView):
    """The login page; a locked account or address gets 429 with Retry-After."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.lockout is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.lockout.retry_after_seconds)
        return response
