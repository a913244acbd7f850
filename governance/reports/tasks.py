"""Pack rendering on the ``reports`` queue: thin, by id, idempotent (identical evidence
returns the stored pack)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from audit.context import change_context
from governance.reports import services
from governance.reports.signing_keys import SigningKeyMissing
from governance.workflow.models import Approval
from registry.models import ModelVersion


@shared_task(acks_late=True, name="reports.render_audit_pack")
def render_audit_pack(version_id: int, trigger: str, actor_id: int | None = None,
                      approval_id: int | None = None) -> str:
    version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
    if version is None:
        return "no such version"
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    approval = Approval.objects.filter(pk=approval_id).first() if approval_id else None
    with change_context("worker"):
        try:
            pack, created = services.generate_pack(actor=actor, version=version,
                                                   trigger=trigger, approval=approval)
        except SigningKeyMissing as error:
            return f"not rendered: {error}"
    return f"{pack.pack_id} {'rendered' if created else 'already stored'}"


def enqueue_pack(version_id: int, trigger: str, actor_id: int | None = None,
                 approval_id: int | None = None) -> bool:
    """Hand the rendering to the reports queue; False when the broker is unreachable
    (the approval stands; the pack can be rendered later from the page or the API)."""
    import logging

    try:
        render_audit_pack.apply_async(args=[version_id, trigger, actor_id, approval_id],
                                      queue="reports", retry=False)
    except Exception as error:  # kombu raises many kinds when the broker is unreachable
        logging.getLogger(__name__).warning("audit pack of version %s not enqueued: %s",
                                            version_id, error)
        return False
    return True
