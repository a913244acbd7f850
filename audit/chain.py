"""The hash chain: what is hashed, and how.

Each event's hash covers its own fields and the previous event's hash, so
editing, deleting or reordering any event breaks every hash after it.
"""

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "sequence", "timestamp", "actor_id", "actor_name", "actor_kind", "action",
    "target_type", "target_id", "target_label", "before", "after", "reason",
    "request_id", "channel", "ip", "previous_hash",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def event_hash(fields: dict[str, Any]) -> str:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["timestamp"] = fields["timestamp"].isoformat()
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()
