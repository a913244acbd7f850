"""Who may do what, per global role and per model. Views and API endpoints
ask these; they never test group names themselves."""

from registry.roles import (
    CI_SERVICE,
    MODEL_DEVELOPER,
    RISK_OFFICER,
    VALIDATOR,
    has_role,
    role_names,
)


def per_model_roles(user, model) -> set[str]:
    """owner / developer / validator: the roles the inventory entry gives ``user``."""
    roles = set()
    if model.owner_id == user.pk:
        roles.add("owner")
    if model.developer_id == user.pk:
        roles.add("developer")
    if model.validator_id == user.pk:
        roles.add("validator")
    return roles


def _holds_any_model_role(user) -> bool:
    return (user.owned_models.exists() or user.developed_models.exists()
            or user.validated_models.exists())


def can_view_inventory(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_names(user)) or _holds_any_model_role(user)


def can_create_model(user) -> bool:
    return user.is_authenticated and (user.is_superuser
                                      or has_role(user, RISK_OFFICER, MODEL_DEVELOPER))


def can_edit_model(user, model) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or has_role(user, RISK_OFFICER) or "owner" in per_model_roles(
        user, model)


def can_register_version(user, model) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or per_model_roles(user, model) & {"owner", "developer"}:
        return True
    return has_role(user, CI_SERVICE) and model.ci_accounts.filter(pk=user.pk).exists()


def can_upload_dataset(user) -> bool:
    if not user.is_authenticated:
        return False
    return (user.is_superuser or has_role(user, MODEL_DEVELOPER, CI_SERVICE, VALIDATOR,
                                          RISK_OFFICER)
            or _holds_any_model_role(user))


def can_search_audit(user) -> bool:
    # The auditor group holds audit.view_auditevent (migration 0002_roles).
    return user.is_authenticated and (user.is_superuser or user.has_perm("audit.view_auditevent"))
