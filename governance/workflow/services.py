"""Status changes of model versions: permission, separation of duties, audit, one
transaction. (Signatures, policies and gates build on this; see issue 5.)"""

from django.db import transaction

from audit.services import record_event
from governance.workflow.errors import SeparationOfDuties, TransitionNotAllowed
from governance.workflow.transitions import TRANSITIONS, allowed_actions
from registry.errors import UnknownReference
from registry.models import ModelVersion
from registry.permissions import per_model_roles
from registry.roles import role_names

# Actions whose actor must not have built or submitted the version.
INDEPENDENT_ACTIONS = ("start_validation", "approve", "reject", "request_changes")


def may_take(user, version: ModelVersion, action: str) -> bool:
    """Role check only (the buttons a user sees); SoD is checked when acting."""
    transition = TRANSITIONS.get(action)
    if transition is None or not user.is_authenticated:
        return False
    return bool(transition.roles & (role_names(user) | per_model_roles(user, version.model)))


def submitter_of(version: ModelVersion):
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(
        target_type="registry.modelversion", target_id=str(version.pk),
        action="version.transitioned", after__action="submit").order_by("-sequence").first()
    return event.actor_id if event else None


def _check_separation_of_duties(user, version: ModelVersion, action: str) -> None:
    if action not in INDEPENDENT_ACTIONS:
        return
    if user.pk in (version.model.developer_id, version.registered_by_id):
        raise SeparationOfDuties(f"{user.get_username()} developed or registered {version}; "
                                 "an independent person must validate and decide.",
                                 rule="developer-not-reviewer")
    if user.pk == submitter_of(version):
        raise SeparationOfDuties(f"{user.get_username()} submitted {version}; an independent "
                                 "person must validate and decide.", rule="submitter-not-reviewer")


def transition(*, actor, version: ModelVersion, action: str, reason: str = "") -> ModelVersion:
    if action not in TRANSITIONS:
        raise UnknownReference(f"Unknown action {action!r}; use one of "
                               f"{', '.join(TRANSITIONS)}.", field="action")
    step = TRANSITIONS[action]
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().select_related("model").get(
            pk=version.pk)
        if version.status not in step.sources:
            raise TransitionNotAllowed(
                f"{version} is {version.get_status_display().lower()}; '{step.label}' needs "
                f"one of: {', '.join(step.sources)}.",
                allowed_actions=[t.action for t in allowed_actions(version.status)])
        if not may_take(actor, version, action):
            raise SeparationOfDuties(f"{actor.get_username()} has no role that may "
                                     f"'{step.label}' {version}.", rule="role")
        _check_separation_of_duties(actor, version, action)
        if step.needs_reason and not reason.strip():
            raise UnknownReference(f"'{step.label}' needs a reason.", field="reason")
        before = version.status
        version.status = step.target
        version.save(update_fields=["status"])
        record_event(actor=actor, action="version.transitioned", target=version,
                     before={"status": before},
                     after={"status": version.status, "action": action}, reason=reason)
    return version
