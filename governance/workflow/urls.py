from django.urls import path

import registry.converters  # noqa: F401 - registers <id:...>
from governance.workflow import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("policies/", views.policies_page, name="policies"),
    path("models/<slug:slug>/", views.model_page, name="model"),
    path("models/<slug:slug>/versions/<id:number>/", views.version_page, name="version"),
    path("models/<slug:slug>/versions/<id:number>/evidence/", views.start_evidence_run,
         name="version-start-run"),
    path("models/<slug:slug>/versions/<id:number>/actions/<str:action>/", views.take_action,
         name="version-action"),
    path("models/<slug:slug>/versions/<id:number>/sign/<str:kind>/", views.sign_page,
         name="version-sign"),
    path("models/<slug:slug>/versions/<id:number>/signoff/", views.signoff_page,
         name="version-signoff"),
    path("models/<slug:slug>/versions/<id:number>/findings/", views.raise_finding,
         name="version-raise-finding"),
    path("models/<slug:slug>/versions/<id:number>/report/", views.upload_report,
         name="version-upload-report"),
    path("models/<slug:slug>/versions/<id:number>/reports/<id:report_id>/",
         views.download_report, name="version-report"),
    path("models/<slug:slug>/versions/<id:number>/fairness-exceptions/",
         views.grant_exception, name="version-grant-exception"),
    path("models/<slug:slug>/versions/<id:number>/proxies/", views.mark_proxy,
         name="version-mark-proxy"),
    path("findings/<id:finding_id>/close/", views.close_finding, name="finding-close"),
]
