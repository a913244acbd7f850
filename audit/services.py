"""Writing the audit trail. Every other app's services call ``record_event``
inside the same ``transaction.atomic`` block as the change it describes."""

import json
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.chain import GENESIS_HASH, canonical_json, event_hash
from audit.context import current_context
from audit.models import AuditEvent

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
    return AuditEvent.objects.create(hash=event_hash(fields), **fields)

