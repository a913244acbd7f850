"""Who may see and do what in the workflow. Which status changes a user may make is
in ``transitions`` (roles per action) and ``services.may_take``."""

from registry.permissions import can_view_inventory, per_model_roles
from registry.roles import RISK_OFFICER, VALIDATOR, has_role


def can_view_workflow(user) -> bool:
    return can_view_inventory(user)


def can_edit_policy(user) -> bool:
    return user.is_authenticated and has_role(user, RISK_OFFICER)


def can_accept_risk(user) -> bool:
    return user.is_authenticated and has_role(user, RISK_OFFICER)


def can_raise_finding(user, model) -> bool:
    if not user.is_authenticated:
        return False
    return has_role(user, VALIDATOR, RISK_OFFICER) or "validator" in per_model_roles(user,
                                                                                       model)


def can_upload_validation_report(user, model) -> bool:
    return can_raise_finding(user, model)


def can_sign_off_validation(user, model) -> bool:
    """Validators (the model's, or of the second line); risk officers approve instead."""
    if not user.is_authenticated:
        return False
    return has_role(user, VALIDATOR) or "validator" in per_model_roles(user, model)
