"""Writing the audit trail. Every other app's services call ``record_event``
inside the same ``transaction.atomic`` block as the change it describes."""

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from audit import keys
from audit.chain import GENESIS_HASH, canonical_json, keyed_event_hash
from audit.context import current_context
from audit.models import AuditEvent, ChainCheck

logger = logging.getLogger(__name__)

# Any constant will do: it names the one lock that serialises chain appends.
_CHAIN_LOCK_KEY = 0x41535359


class AuditOutsideTransaction(RuntimeError):
    """An audit event must commit or roll back together with its change."""


def describe_target(obj) -> tuple[str, str, str]:
    """(type, id, label) for a model instance, e.g. ('registry.modelversion', '7', 'pd v3')."""
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def _actor_kind(actor) -> str:
    if actor is None:
        return AuditEvent.ActorKind.SYSTEM
    group = getattr(settings, "ASSAY_SERVICE_ACCOUNT_GROUP", None)
    if group and actor.groups.filter(name=group).exists():
        return AuditEvent.ActorKind.SERVICE
    return AuditEvent.ActorKind.USER


def _actor_name(actor) -> str:
    if actor is None:
        return "system"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def _as_json(value: Any) -> Any:
    # Store exactly what is hashed: dates, decimals and UUIDs become strings now,
    # so the hash recomputed from the row later is the same.
    return None if value is None else json.loads(canonical_json(value))


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: the project opens every transaction IMMEDIATE, so writers are
    # already serialised by the database lock.


def record_event(*, actor, action: str, target=None, target_ref: tuple[str, str, str] | None = None,
                 before: Any = None, after: Any = None, reason: str = "") -> AuditEvent:
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(f"audit event {action!r} written outside a transaction")
    target_type, target_id, target_label = target_ref or describe_target(target)
    context = current_context()
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
    fields = {
        "sequence": (last["sequence"] + 1) if last else 1,
        "timestamp": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_name": _actor_name(actor),
        "actor_kind": _actor_kind(actor),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label,
        "before": _as_json(before),
        "after": _as_json(after),
        "reason": reason,
        "request_id": context.request_id,
        "channel": context.channel,
        "ip": context.ip,
        "previous_hash": last["hash"] if last else GENESIS_HASH,
    }
    key_id = keys.current_key().key_id
    return AuditEvent.objects.create(hash=keyed_event_hash(fields, key_id), key_id=key_id,
                                     **fields)



CHAIN_CHECK_FAILED = "audit.chain_check_failed"


def record_chain_check(report) -> ChainCheck:
    """Record one integrity check (an ``audit.verification.IntegrityReport``). A failure
    is also an audit event, and once it commits the alert recipients get an e-mail."""
    head = report.head or {}
    with transaction.atomic():
        check = ChainCheck.objects.create(
            checked_at=timezone.now(), ok=report.ok, events_verified=report.events_verified,
            last_sequence=head.get("sequence"), last_hash=head.get("hash", ""),
            anchor_sequence=report.anchor.sequence if report.anchor else None,
            deep=report.deep, problems=list(report.problems))
        if not report.ok:
            record_event(actor=None, action=CHAIN_CHECK_FAILED, target=check,
                         after={"problems": check.problems,
                                "anchor_sequence": check.anchor_sequence},
                         reason="periodic verification of the audit trail failed")
            transaction.on_commit(lambda: _alert(check))
    return check


def chain_alert_recipients() -> list[str]:
    """E-mail addresses of the members of ``ASSAY_CHAIN_ALERT_GROUP`` (risk officers)
    and of ``ASSAY_CHAIN_ALERT_EMAILS``."""
    group = getattr(settings, "ASSAY_CHAIN_ALERT_GROUP", "")
    members = get_user_model().objects.filter(groups__name=group, is_active=True) \
        .exclude(email="").values_list("email", flat=True) if group else []
    return sorted(set(members) | set(getattr(settings, "ASSAY_CHAIN_ALERT_EMAILS", [])))


def _alert(check: ChainCheck) -> None:
    recipients = chain_alert_recipients()
    if not recipients:
        logger.error("audit chain check failed and nobody is configured to be told: %s",
                     check.problems)
        return
    body = ("The periodic verification of Assay's audit trail failed at "
            f"{check.checked_at:%Y-%m-%d %H:%M:%S} UTC.\n\n"
            + "\n".join(f"- {problem}" for problem in check.problems)
            + "\n\nRun `python manage.py verify_audit --deep` on the server and treat the "
              "record as suspect until the cause is known.\n"
            + f"{getattr(settings, 'ASSAY_PUBLIC_URL', '')}/audit/\n")
    try:
        send_mail("[Assay] Audit trail verification FAILED", body, None, recipients)
    except OSError as error:  # the check is recorded; a mail server that is down is logged
        logger.error("could not e-mail the audit chain alert: %s", error)
