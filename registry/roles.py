"""Global roles are Django groups (made by migration 0002); per-model roles
(owner, developer, validator) are fields of the inventory entry."""

RISK_OFFICER = "Risk officer"
APPROVER = "Approver"
VALIDATOR = "Validator"
AUDITOR = "Auditor"
MODEL_DEVELOPER = "Model developer"
CI_SERVICE = "CI service account"

def role_names(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_assay_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._assay_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(role_names(user) & set(roles))
