"""Who did what in a version's review, read from the audit trail: which submission is
under review, who submitted it, who validates it. Services, gates and selectors ask
here so that one reading of the trail decides."""

from audit.models import AuditEvent
from registry.models import ModelVersion

# Transitions that open a review round: signatures and sign-offs of earlier rounds no
# longer count (a new submission, or a review restarted because people changed).
ROUND_STARTS = ("submit", "restart_review")


def transition_events(version: ModelVersion, *actions: str):
    return AuditEvent.objects.filter(
        target_type="registry.modelversion", target_id=str(version.pk),
        action="version.transitioned", after__action__in=actions).order_by("-sequence")


def submitter_of(version: ModelVersion):
    """Who last submitted the version (frozen on it; the trail for older versions)."""
    if version.submitted_by_id:
        return version.submitted_by_id
    event = transition_events(version, "submit").first()
    return event.actor_id if event else None


def submitters_of(version: ModelVersion) -> set[int]:
    """Everyone who submitted the version for validation, in any round."""
    submitters = set(transition_events(version, "submit").values_list("actor_id", flat=True))
    return {pk for pk in (version.submitted_by_id, *submitters) if pk}


def review_round(version: ModelVersion) -> int:
    """Which review of the version is under way (1 for the first submission; a new
    submission or a restarted review opens the next)."""
    return transition_events(version, *ROUND_STARTS).count()


def validators_of(version: ModelVersion) -> set[int]:
    """The model's validator and whoever started this version's validation."""
    started = transition_events(version, "start_validation").first()
    return {pk for pk in (version.model.validator_id, started and started.actor_id) if pk}
