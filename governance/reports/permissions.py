"""Who may generate and download audit packs: auditors, risk officers, approvers and
the model's owner (issue 14). Validators and developers read evidence on the pages,
but the regulator's pack is not theirs to hand out."""

from registry.permissions import per_model_roles
from registry.roles import APPROVER, AUDITOR, RISK_OFFICER, has_role


def can_use_packs(user, model) -> bool:
    if not user.is_authenticated:
        return False
    return has_role(user, AUDITOR, RISK_OFFICER, APPROVER) or "owner" in per_model_roles(
        user, model)


def can_read_inventory_report(user) -> bool:
    return user.is_authenticated and has_role(user, AUDITOR, RISK_OFFICER, APPROVER)
