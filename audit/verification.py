"""The whole integrity check of the audit trail, read-only: the hash chain, the
latest anchor outside the database, and (``deep``) the records other apps
registered in ``audit.deep_checks``. ``verify_audit`` prints it; the beat task
``audit.verify_chain`` records it (``services.record_chain_check``)."""

from dataclasses import dataclass, field

from audit import deep_checks
from audit.anchors import Anchor, anchor_problem, latest_anchor
from audit.models import AuditEvent
from audit.selectors import chain_head, verify_chain


@dataclass
class IntegrityReport:
    events_verified: int = 0
    head: dict | None = None
    anchor: Anchor | None = None
    deep: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_integrity(*, deep: bool = False) -> IntegrityReport:
    report = IntegrityReport(deep=deep, head=chain_head())
    chain_break = verify_chain()
    if chain_break:
        report.problems.append(f"audit trail broken at {chain_break}")
        report.events_verified = max(chain_break.sequence - 1, 0)
    else:
        report.events_verified = AuditEvent.objects.count()
    try:
        report.anchor = latest_anchor()
        problem = anchor_problem(report.anchor)
    except OSError as error:
        problem = f"the latest anchor could not be read from the blob store: {error}"
    if problem:
        report.problems.append(problem)
    if deep:
        mismatches = deep_checks.run_deep_checks()
        report.problems.extend(f"record disagrees with the audit trail: {mismatch}"
                               for mismatch in mismatches)
    return report
