"""Reading the tier policies: the newest revision of a tier is the one in force."""

from governance.workflow.models import TierPolicy

POLICY_FIELDS = ("required_evidence", "requires_validation_report",
                 "requires_validation_signoff", "approvals_required",
                 "risk_officer_must_approve", "four_fifths_min",
                 "equal_opportunity_max_difference", "revalidation_months", "grace_days")


class PolicyMissing(LookupError):
    """Migration 0002 creates revision 1 of every tier; its absence is a broken install."""


def current_policy(tier: int) -> TierPolicy:
    policy = TierPolicy.objects.filter(tier=tier).order_by("-revision").first()
    if policy is None:
        raise PolicyMissing(f"No policy for tier {tier}: run manage.py migrate.")
    return policy


def policy_history(tier: int):
    return TierPolicy.objects.filter(tier=tier).select_related("created_by").order_by(
        "-revision")
