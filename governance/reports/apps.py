from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "governance.reports"
    label = "reports"
    verbose_name = "Audit packs"

    def ready(self):
        from governance.workflow.signals import approval_took_effect

        approval_took_effect.connect(_render_pack_of_approval,
                                     dispatch_uid="reports.pack_of_approval")


def _render_pack_of_approval(sender, approval, actor, **kwargs):
    """The pack of an approval is rendered on the reports queue once it has committed."""
    from django.db import transaction

    from governance.reports.tasks import enqueue_pack

    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    transaction.on_commit(lambda: enqueue_pack(approval.version_id, "approval", actor_id,
                                               approval.pk))
