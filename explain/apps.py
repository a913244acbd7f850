from django.apps import AppConfig


class ExplainConfig(AppConfig):
    name = "explain"
    verbose_name = "Evidence"

    def ready(self):
        from explain.services import request_policy_runs
        from registry.signals import version_registered

        def on_version_registered(sender, version, actor, **kwargs):
            request_policy_runs(actor=actor, version=version)

        version_registered.connect(on_version_registered, weak=False,
                                   dispatch_uid="explain.policy_runs")
