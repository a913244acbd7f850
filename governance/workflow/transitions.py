"""The lifecycle of a model version, declared in one table.

Every status change goes through ``services.transition``, which looks the action up
here: where it may start from, where it leads, and which global or per-model roles
may take it. Separation of duties is checked on top, in ``services``.
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


def _t(action, label, sources, target, *roles, needs_reason=True) -> Transition:
    return Transition(action, label, tuple(sources), target, frozenset(roles), needs_reason)


TRANSITIONS = {t.action: t for t in (
    _t("submit", "Submit for validation", (S.DRAFT, S.CHANGES_REQUESTED), S.SUBMITTED,
       "owner", "developer", needs_reason=False),
    _t("start_validation", "Start validation", (S.SUBMITTED,), S.IN_VALIDATION,
       "validator", "Validator", needs_reason=False),
    _t("approve", "Approve", (S.IN_VALIDATION,), S.APPROVED, "Approver", "Risk officer"),
    _t("reject", "Reject", (S.IN_VALIDATION,), S.REJECTED, "Approver", "Risk officer"),
    _t("request_changes", "Request changes", (S.SUBMITTED, S.IN_VALIDATION),
       S.CHANGES_REQUESTED, "validator", "Validator", "Approver", "Risk officer"),
    _t("deploy", "Mark deployed", (S.APPROVED,), S.DEPLOYED, "owner", "Risk officer",
       needs_reason=False),
    _t("halt", "Halt (emergency stop)", LIVE, S.HALTED, "owner", "Risk officer"),
    _t("retire", "Retire", (*LIVE, S.HALTED), S.RETIRED, "owner", "Risk officer"),
)}


def allowed_actions(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
