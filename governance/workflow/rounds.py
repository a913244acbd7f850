"""Who did what in a version's review, read from the audit trail: which submission is
under review, who submitted it, who validates it. Services, gates and selectors ask
here so that one reading of the trail decides."""

from audit.models import AuditEvent
from registry.models import ModelVersion


def transition_events(version: ModelVersion, action: str):
    return AuditEvent.objects.filter(
        target_type="registry.modelversion", target_id=str(version.pk),
        action="version.transitioned", after__action=action).order_by("-sequence")


def submitter_of(version: ModelVersion):
    event = transition_events(version, "submit").first()
    return event.actor_id if event else None


def review_round(version: ModelVersion) -> int:
    """Which submission of the version is under review (1 for the first)."""
    return transition_events(version, "submit").count()


def validators_of(version: ModelVersion) -> set[int]:
    """The model's validator and whoever started this version's validation."""
    started = transition_events(version, "start_validation").first()
    return {pk for pk in (version.model.validator_id, started and started.actor_id) if pk}
