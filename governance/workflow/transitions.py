"""The lifecycle of a model version, declared in one table.

Every status change goes through ``services`` (``transition`` for plain steps,
``sign_decision`` for the signed ones), which look the action up here: where it may
start from, where it leads, which global or per-model roles may take it, whether it
needs a reason or a signature. Separation of duties and the policy's gates are
checked on top, in ``services``.
"""

from dataclasses import dataclass

from registry.models import ModelVersion

S = ModelVersion.Status
LIVE = (S.APPROVED, S.DEPLOYED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]  # global roles (group names) or per-model roles: owner, developer,
    #                        validator, registrar (the CI account that registered the version)
    needs_reason: bool = True
    signed: bool = False  # password re-entry, meaning and reason: services.sign_decision


def _t(action, label, sources, target, *roles, needs_reason=True, signed=False) -> Transition:
    return Transition(action, label, tuple(sources), target, frozenset(roles), needs_reason,
                      signed)


TRANSITIONS = {t.action: t for t in (
    _t("submit", "Submit for validation", (S.DRAFT, S.CHANGES_REQUESTED), S.SUBMITTED,
       "owner", "developer", needs_reason=False),
    _t("start_validation", "Start validation", (S.SUBMITTED,), S.IN_VALIDATION,
       "validator", "Validator", needs_reason=False),
    # An approval signature moves the version only once the policy's signers are complete.
    _t("approve", "Approve", (S.IN_VALIDATION,), S.APPROVED, "Approver", "Risk officer",
       signed=True),
    _t("reject", "Reject", (S.IN_VALIDATION,), S.REJECTED, "Approver", "Risk officer",
       signed=True),
    _t("request_changes", "Request changes", (S.SUBMITTED, S.IN_VALIDATION),
       S.CHANGES_REQUESTED, "validator", "Validator", "Approver", "Risk officer", signed=True),
    _t("deploy", "Mark deployed", (S.APPROVED,), S.DEPLOYED, "owner", "Risk officer",
       needs_reason=False),
    _t("halt", "Halt (emergency stop)", LIVE, S.HALTED, "owner", "Risk officer"),
    # The newest earlier version with a valid approval becomes the deployable one.
    _t("rollback", "Roll back", (*LIVE, S.HALTED), S.ROLLED_BACK, "owner", "Risk officer"),
    _t("retire", "Retire", (*LIVE, S.HALTED, S.ROLLED_BACK), S.RETIRED, "owner",
       "Risk officer"),
)}


def allowed_actions(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
