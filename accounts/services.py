"""Failed passwords counted, lock-outs and refusals recorded as ``security.*`` audit
events (searchable on the audit page: action "security.*")."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import selectors
from accounts.models import FailedAttempt
from audit.context import current_context
from audit.services import record_event

LOGIN_FAILED = "security.login_failed"
LOGIN_LOCKED = "security.login_locked"
LOGIN_REFUSED_LOCKED = "security.login_refused_locked"
SIGNATURE_FAILED = "security.signature_failed"
SIGNATURE_LOCKED = "security.signature_locked"
ACCESS_DENIED = "security.access_denied"


def _account_ref(username: str) -> tuple[str, str, str]:
    user = get_user_model().objects.filter(username=username).only("pk").first()
    return ("auth.user", str(user.pk) if user else "", username[:300])


def _note(kind: str, username: str, ip: str | None) -> None:
    now = timezone.now()
    FailedAttempt.objects.filter(at__lt=now - 2 * selectors.window()).delete()
    FailedAttempt.objects.create(kind=kind, username=username.lower()[:150], ip=ip, at=now)


def note_failed_login(*, username: str, ip: str | None) -> selectors.Lockout | None:
    """Count a wrong password; returns the lock-out it caused, if it caused one."""
    with transaction.atomic():
        _note(FailedAttempt.Kind.LOGIN, username, ip)
        record_event(actor=None, action=LOGIN_FAILED, target_ref=_account_ref(username),
                     after={"username": username[:150], "ip": ip})
        lockout = selectors.login_lockout(username, ip)
        if lockout is not None:
            record_event(actor=None, action=LOGIN_LOCKED, target_ref=_account_ref(username),
                         after={"username": username[:150], "ip": ip, "by": lockout.reason,
                                "until": lockout.until})
    return lockout


def note_refused_while_locked(*, username: str, ip: str | None,
                              lockout: selectors.Lockout) -> None:
    with transaction.atomic():
        record_event(actor=None, action=LOGIN_REFUSED_LOCKED,
                     target_ref=_account_ref(username),
                     after={"username": username[:150], "ip": ip, "by": lockout.reason})


def clear_login_failures(username: str) -> None:
    FailedAttempt.objects.filter(kind=FailedAttempt.Kind.LOGIN,
                                 username=username.lower()).delete()


def note_failed_signature(*, actor, target) -> selectors.Lockout | None:
    """A wrong password re-entered to sign (the address is the request's)."""
    username = actor.get_username()
    with transaction.atomic():
        _note(FailedAttempt.Kind.SIGNATURE, username, current_context().ip)
        record_event(actor=actor, action=SIGNATURE_FAILED, target=target,
                     after={"username": username})
        lockout = selectors.signature_lockout(username)
        if lockout is not None:
            record_event(actor=actor, action=SIGNATURE_LOCKED, target=target,
                         after={"username": username, "until": lockout.until})
    return lockout


def clear_signature_failures(actor) -> None:
    FailedAttempt.objects.filter(kind=FailedAttempt.Kind.SIGNATURE,
                                 username=actor.get_username().lower()).delete()


def note_access_denied(*, user, path: str, method: str, detail: str) -> None:
    """A refused action (403) by a signed-in user or token."""
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        record_event(actor=actor, action=ACCESS_DENIED,
                     target_ref=("http.path", "", f"{method} {path}"[:300]),
                     after={"method": method, "path": path[:500], "detail": str(detail)[:500]})
