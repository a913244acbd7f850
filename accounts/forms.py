from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts import selectors, services


class ThrottledLoginMixin:
    """Refuses a locked account or address before the password is even checked; counts
    every wrong password. ``lockout`` is set when the answer is "too many attempts"."""

    lockout: selectors.Lockout | None = None

    def clean(self):
        username = (self.data.get("username") or "")[:150]
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        lockout = selectors.login_lockout(username, ip) if username else None
        if lockout is not None:
            self.lockout = lockout
            services.note_refused_while_locked(username=username, ip=ip, lockout=lockout)
            raise forms.ValidationError(lockout.message, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                self.lockout = services.note_failed_login(username=username, ip=ip)
            raise
        services.clear_login_failures(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
