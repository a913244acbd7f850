from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit import keys
from audit.chain import GENESIS_HASH, hash_matches
from audit.models import AuditEvent, ChainCheck


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    problem: str

    def __str__(self):
        return f"audit event #{self.sequence}: {self.problem}"


def verify_chain(batch_size: int = 2000, *, after_sequence: int = 0,
                 after_hash: str = GENESIS_HASH) -> ChainBreak | None:
    """Walk the chain from the first event (or from the event after
    ``after_sequence``, whose hash is ``after_hash``); return the first break, or None."""
    expected_sequence = after_sequence + 1
    previous_hash = after_hash
    seen_keyed = False
    fields = [f.attname for f in AuditEvent._meta.concrete_fields]
    rows = AuditEvent.objects.filter(sequence__gt=after_sequence).order_by("sequence")
    for row in rows.values(*fields).iterator(batch_size):
        if row["sequence"] != expected_sequence:
            return ChainBreak(expected_sequence,
                              f"missing (next present event is #{row['sequence']})")
        if row["previous_hash"] != previous_hash:
            return ChainBreak(row["sequence"],
                              "previous_hash does not match the event before it "
                              "(an event was removed or reordered)")
        if row["key_id"]:
            seen_keyed = True
            try:
                keys.key_by_id(row["key_id"])
            except keys.UnknownServerKey:
                return ChainBreak(row["sequence"],
                                  f"hashed with server key {row['key_id']!r}, which this "
                                  "server does not hold (add it to ASSAY_SERVER_KEYS)")
        elif seen_keyed:
            return ChainBreak(row["sequence"],
                              "unkeyed (plain sha256) event after keyed ones: the chain "
                              "was rewritten without the server key")
        if not hash_matches(row):
            return ChainBreak(row["sequence"],
                              "content does not match its hash (the row was edited)")
        previous_hash = row["hash"]
        expected_sequence += 1
    return None


def chain_head() -> dict | None:
    """The last event's sequence, hash and time, or None for an empty trail."""
    return (AuditEvent.objects.order_by("-sequence")
            .values("sequence", "hash", "timestamp").first())


def latest_chain_check() -> ChainCheck | None:
    return ChainCheck.objects.order_by("-checked_at", "-pk").first()


def events_for_target(target_type: str, target_ids: list[str]) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id__in=target_ids)


# Events the system writes to look after itself (stored-file re-hashes, chain checks):
# the audit page hides them unless asked.
HOUSEKEEPING_ACTION_PREFIXES = ("blob.", "audit.")


def search_events(*, text: str = "", action: str = "", actor: str = "", target_type: str = "",
                  request_id: str = "", since=None, until=None,
                  housekeeping: bool = True) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if not housekeeping and not action:
        for prefix in HOUSEKEEPING_ACTION_PREFIXES:
            events = events.exclude(action__startswith=prefix)
    if text:
        events = events.filter(Q(target_label__icontains=text) | Q(reason__icontains=text))
    if action.endswith(".*"):  # a family of actions, e.g. "security.*"
        events = events.filter(action__startswith=action[:-1])
    elif action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_name__icontains=actor)
    if target_type:
        events = events.filter(target_type=target_type)
    if request_id:
        events = events.filter(request_id=request_id)
    if since:
        events = events.filter(timestamp__gte=since)
    if until:
        events = events.filter(timestamp__lt=until)
    return events


def distinct_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
