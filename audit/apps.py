from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from audit import checks  # noqa: F401 registers the deploy checks
        from audit.database_roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self,
                             dispatch_uid="audit.grant_after_migrate")
