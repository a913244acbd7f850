from django.urls import path

from governance.workflow import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("policies/", views.policies_page, name="policies"),
    path("models/<slug:slug>/", views.model_page, name="model"),
    path("models/<slug:slug>/versions/<int:number>/", views.version_page, name="version"),
    path("models/<slug:slug>/versions/<int:number>/evidence/", views.start_evidence_run,
         name="version-start-run"),
    path("models/<slug:slug>/versions/<int:number>/actions/<str:action>/", views.take_action,
         name="version-action"),
    path("models/<slug:slug>/versions/<int:number>/sign/<str:kind>/", views.sign_page,
         name="version-sign"),
    path("models/<slug:slug>/versions/<int:number>/findings/", views.raise_finding,
         name="version-raise-finding"),
    path("models/<slug:slug>/versions/<int:number>/report/", views.upload_report,
         name="version-upload-report"),
    path("models/<slug:slug>/versions/<int:number>/fairness-exceptions/",
         views.grant_exception, name="version-grant-exception"),
    path("findings/<int:finding_id>/close/", views.close_finding, name="finding-close"),
]
