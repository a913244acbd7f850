"""The hash chain: what is hashed, and how.

Each event's hash covers its own fields and the previous event's hash, so
editing, deleting or reordering any event breaks every hash after it.

Events are hashed with a server key (HMAC-SHA256, audit/keys.py) whose id is
stored on the event: someone who can write to the database but does not hold
the key cannot recompute the chain after an edit. Events written before keyed
hashes (``key_id`` empty) keep their plain sha256 and still verify; the chain
check refuses an unkeyed event after a keyed one, so a rewrite cannot
"downgrade" the recent chain to plain hashes.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from audit import keys

GENESIS_HASH = "0" * 64
EVENT_PURPOSE = "audit-event"

HASHED_FIELDS = (
    "sequence", "timestamp", "actor_id", "actor_name", "actor_kind", "action",
    "target_type", "target_id", "target_label", "before", "after", "reason",
    "request_id", "channel", "ip", "previous_hash",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _content(fields: Mapping[str, Any]) -> dict[str, Any]:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["timestamp"] = fields["timestamp"].isoformat()
    return payload


def legacy_event_hash(fields: Mapping[str, Any]) -> str:
    """Plain sha256 of the canonical content (events recorded before keyed hashes)."""
    return hashlib.sha256(canonical_json(_content(fields)).encode()).hexdigest()


def keyed_event_hash(fields: Mapping[str, Any], key_id: str) -> str:
    """HMAC-SHA256 with the server key ``key_id`` over the canonical content (which
    includes the previous hash) and the key id itself. Raises
    ``keys.UnknownServerKey`` when this server does not hold that key."""
    payload = _content(fields)
    payload["key_id"] = key_id
    return keys.sign_with(canonical_json(payload).encode(), purpose=EVENT_PURPOSE,
                          key_id=key_id)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The hash an event with these fields must carry: keyed when ``fields`` name a
    ``key_id``, the legacy sha256 otherwise."""
    key_id = fields.get("key_id") or ""
    return keyed_event_hash(fields, key_id) if key_id else legacy_event_hash(fields)


def hash_matches(row: Mapping[str, Any]) -> bool:
    """Whether a stored row's hash is the one its content and key give."""
    try:
        expected = event_hash(row)
    except keys.UnknownServerKey:
        return False
    return hmac.compare_digest(expected, row["hash"])
