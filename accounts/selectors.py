"""Is an account or an address locked out? Counted from the failures in the window."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import FailedAttempt


@dataclass(frozen=True)
class Lockout:
    reason: str  # "account" or "address"
    until: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.until - timezone.now()).total_seconds()) + 1)

    @property
    def message(self) -> str:
        minutes = -(-self.retry_after_seconds // 60)
        return (f"Too many wrong passwords for this {self.reason}; try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.")


def window() -> timedelta:
    return timedelta(seconds=settings.ASSAY_LOCKOUT_SECONDS)


def _lock_until(attempts, limit: int) -> datetime | None:
    """The moment the limit-th most recent failure leaves the window, if there are that
    many in it."""
    recent = list(attempts.filter(at__gte=timezone.now() - window()).order_by("-at")
                  .values_list("at", flat=True)[:limit])
    if limit < 1 or len(recent) < limit:
        return None
    return recent[-1] + window()


def login_lockout(username: str, ip: str | None) -> Lockout | None:
    logins = FailedAttempt.objects.filter(kind=FailedAttempt.Kind.LOGIN)
    until = _lock_until(logins.filter(username=username.lower()),
                        settings.ASSAY_LOGIN_FAILURES_PER_ACCOUNT)
    if until is not None:
        return Lockout("account", until)
    if ip:
        until = _lock_until(logins.filter(ip=ip), settings.ASSAY_LOGIN_FAILURES_PER_ADDRESS)
        if until is not None:
            return Lockout("address", until)
    return None


def signature_lockout(username: str) -> Lockout | None:
    until = _lock_until(FailedAttempt.objects.filter(kind=FailedAttempt.Kind.SIGNATURE,
                                                     username=username.lower()),
                        settings.ASSAY_SIGNATURE_FAILURES_PER_ACCOUNT)
    return Lockout("account", until) if until is not None else None
