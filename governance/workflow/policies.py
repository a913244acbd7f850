"""Reading the tier policies: the newest approved revision of a tier whose effective
moment has come is the one in force (proposals wait for a second risk officer)."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from governance.workflow.models import TierPolicy

POLICY_FIELDS = ("required_evidence", "requires_validation_report",
                 "requires_validation_signoff", "approvals_required",
                 "risk_officer_must_approve", "owner_excluded", "four_fifths_min",
                 "equal_opportunity_max_difference", "revalidation_months", "grace_days")


class PolicyMissing(LookupError):
    """Migration 0002 creates revision 1 of every tier; its absence is a broken install."""


def in_force(tier: int, at: datetime | None = None):
    at = at or timezone.now()
    return TierPolicy.objects.filter(tier=tier, status=TierPolicy.Status.APPROVED).filter(
        Q(effective_at__isnull=True) | Q(effective_at__lte=at))


def current_policy(tier: int, at: datetime | None = None) -> TierPolicy:
    policy = in_force(tier, at).order_by("-revision").first()
    if policy is None:
        raise PolicyMissing(f"No policy for tier {tier}: run manage.py migrate.")
    return policy


def pending_revision(tier: int) -> TierPolicy | None:
    """The proposal awaiting a checker (at most one per tier)."""
    return TierPolicy.objects.filter(tier=tier, status=TierPolicy.Status.PROPOSED).select_related(
        "created_by").first()


def scheduled_revisions(tier: int):
    """Approved revisions whose effective date is still ahead."""
    return TierPolicy.objects.filter(tier=tier, status=TierPolicy.Status.APPROVED,
                                     effective_at__gt=timezone.now()).order_by("revision")


def policy_history(tier: int):
    return TierPolicy.objects.filter(tier=tier).select_related(
        "created_by", "approved_by").order_by("-revision")


def policy_diff(policy: TierPolicy, previous: TierPolicy | None) -> list[tuple[str, str, str]]:
    """(field, before, after) for each rule that differs from ``previous``."""
    if previous is None:
        return []
    return [(name, _shown(getattr(previous, name)), _shown(getattr(policy, name)))
            for name in POLICY_FIELDS if getattr(previous, name) != getattr(policy, name)]


def _shown(value) -> str:
    if value is None:
        return "not checked"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def history_with_diffs(tier: int, limit: int = 10) -> list[tuple[TierPolicy, list]]:
    """Each revision (newest first) with what it changes against the approved revision
    before it: the rules it was proposed over."""
    rows, base = [], None
    for policy in reversed(list(policy_history(tier))):
        rows.append((policy, policy_diff(policy, base)))
        if policy.status == TierPolicy.Status.APPROVED:
            base = policy
    return rows[::-1][:limit]
