"""Beat tasks of the audit trail: anchor the chain head outside the database, and
verify the whole chain against the latest anchor."""

import logging

from celery import shared_task

from audit import anchors
from audit.context import change_context
from audit.services import record_chain_check
from audit.verification import check_integrity

logger = logging.getLogger(__name__)


@shared_task(name="audit.anchor_chain_head", acks_late=True)
def anchor_chain_head() -> str:
    """Write a signed anchor of the current head (nothing when no event is new). A chain
    that disagrees with the latest anchor is not anchored; it is checked and reported."""
    try:
        anchor = anchors.write_anchor()
    except anchors.AnchorRefused as error:
        logger.error("audit anchor refused: %s", error)
        verify_audit_chain()
        return "refused"
    return f"anchored #{anchor.sequence}" if anchor else "unchanged"


@shared_task(name="audit.verify_chain", acks_late=True)
def verify_audit_chain(deep: bool = True) -> str:
    with change_context("worker"):
        check = record_chain_check(check_integrity(deep=deep))
    return "verified" if check.ok else "failed"
