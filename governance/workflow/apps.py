from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "governance.workflow"
    label = "workflow"
    verbose_name = "Approval workflow"

    def ready(self):
        from audit import deep_checks
        from governance.workflow import integrity
        from registry.signals import model_people_changed

        deep_checks.register(integrity.CHECK_NAME)(integrity.check_all_records)
        model_people_changed.connect(_restart_reviews, dispatch_uid="workflow.restart_reviews")


def _restart_reviews(sender, *, model, actor, changed, reason="", **kwargs):
    from governance.workflow.services import restart_reviews

    restart_reviews(actor=actor, model=model, changed=changed, reason=reason)
