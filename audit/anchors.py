"""Anchors: the chain head, signed with the server key and kept outside the database.

Keyed hashes stop someone with only database access from rewriting events, but
not from cutting events off the end of the chain (or deleting them all): what
remains still links up. An anchor records the head (sequence, hash, time) at a
moment, signed with a server key the database does not hold, in the blob store
(``ASSAY_AUDIT_ANCHOR_STORAGE``, by default the ``blobs`` storage). The chain
check then fails when the chain is shorter than, or disagrees with, the latest
anchor. The beat task ``audit.anchor_chain_head`` writes them.
"""

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from audit import keys
from audit.chain import canonical_json
from audit.models import AuditEvent
from audit.selectors import chain_head, verify_chain

ANCHOR_PURPOSE = "audit-anchor"
ANCHOR_FOLDER = "audit-anchors"


class AnchorRefused(RuntimeError):
    """The chain no longer agrees with the latest anchor: no new anchor is written
    over the evidence."""


@dataclass(frozen=True)
class Anchor:
    sequence: int
    hash: str
    event_time: str
    anchored_at: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return canonical_json({"sequence": self.sequence, "hash": self.hash,
                               "event_time": self.event_time,
                               "anchored_at": self.anchored_at}).encode()

    def signature_valid(self) -> bool:
        return keys.verify(self.message(), purpose=ANCHOR_PURPOSE, key_id=self.key_id,
                           signature=self.signature)

    def __str__(self):
        return f"anchor of event #{self.sequence} written {self.anchored_at}"


def anchor_storage():
    return storages[getattr(settings, "ASSAY_AUDIT_ANCHOR_STORAGE", "blobs")]


def _file_name(anchored_at: datetime, sequence: int) -> str:
    # Names sort in time order: the last one listed is the latest anchor.
    return f"{ANCHOR_FOLDER}/{anchored_at:%Y%m%dT%H%M%S%fZ}-{sequence:012d}.json"


def latest_anchor() -> Anchor | None:
    """The newest anchor file, or None if none was ever written. A file that does not
    parse is returned as an anchor with an empty signature, so it fails as invalid."""
    storage = anchor_storage()
    try:
        _, files = storage.listdir(ANCHOR_FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        return None
    names = sorted(name for name in files if name.endswith(".json"))
    if not names:
        return None
    with storage.open(f"{ANCHOR_FOLDER}/{names[-1]}", "rb") as handle:
        raw = handle.read()
    try:
        data = json.loads(raw)
        return Anchor(sequence=int(data["sequence"]), hash=str(data["hash"]),
                      event_time=str(data["event_time"]), anchored_at=str(data["anchored_at"]),
                      key_id=str(data["key_id"]), signature=str(data["signature"]))
    except (ValueError, KeyError, TypeError):
        return Anchor(sequence=0, hash="", event_time="", anchored_at=names[-1], key_id="",
                      signature="")


def anchor_problem(anchor: Anchor | None) -> str | None:
    """Why the chain in the database disagrees with ``anchor``, or None if it agrees."""
    if anchor is None:
        return None
    if not anchor.signature_valid():
        return (f"the latest {anchor} has an invalid signature (the anchor file was "
                "changed, or its server key is no longer configured)")
    anchored = AuditEvent.objects.filter(sequence=anchor.sequence).values("hash").first()
    if anchored is None:
        head = chain_head()
        ends = f"ends at event #{head['sequence']}" if head else "is empty"
        return (f"the chain {ends} but the {anchor} recorded event #{anchor.sequence}: "
                "events were truncated or deleted")
    if anchored["hash"] != anchor.hash:
        return (f"event #{anchor.sequence} does not match the {anchor} (its hash differs): "
                "the chain was rewritten")
    return None


def write_anchor() -> Anchor | None:
    """Sign the current head and store it; None when there is nothing new to anchor.

    Refuses (``AnchorRefused``) when the chain disagrees with the latest anchor, or
    the events since it do not verify, so a truncated or rewritten chain is never
    anchored over the evidence of what it was."""
    previous = latest_anchor()
    problem = anchor_problem(previous)
    if problem:
        raise AnchorRefused(problem)
    head = chain_head()
    if head is None or (previous and head["sequence"] == previous.sequence):
        return None
    chain_break = (verify_chain(after_sequence=previous.sequence, after_hash=previous.hash)
                   if previous else verify_chain())
    if chain_break:
        raise AnchorRefused(f"audit trail broken at {chain_break}")
    anchored_at = timezone.now()
    unsigned = Anchor(sequence=head["sequence"], hash=head["hash"],
                      event_time=head["timestamp"].isoformat(),
                      anchored_at=anchored_at.isoformat(), key_id="", signature="")
    key_id, signature = keys.sign(unsigned.message(), purpose=ANCHOR_PURPOSE)
    anchor = Anchor(**{**asdict(unsigned), "key_id": key_id, "signature": signature})
    anchor_storage().save(_file_name(anchored_at, anchor.sequence),
                          ContentFile(json.dumps(asdict(anchor), indent=2).encode()))
    return anchor
