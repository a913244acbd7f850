"""Who may start, read and cancel evidence runs."""

from registry.permissions import can_edit_model, can_register_version, can_view_inventory
from registry.roles import RISK_OFFICER, VALIDATOR, has_role


def can_view_evidence(user) -> bool:
    return can_view_inventory(user)


def can_request_evidence(user, model) -> bool:
    """Whoever may register the model's versions (owner, developer, its CI accounts),
    its validator, and validators and risk officers in general."""
    if not user.is_authenticated:
        return False
    return (can_register_version(user, model) or model.validator_id == user.pk
            or has_role(user, VALIDATOR, RISK_OFFICER))


def can_edit_reason_texts(user, model) -> bool:
    return can_edit_model(user, model)
