from django.urls import path

from explain.api import views

urlpatterns = [
    path("models/<slug:slug>/reason-texts/", views.ReasonTextsView.as_view(),
         name="api-reason-texts"),
    path("versions/<int:version_id>/evidence-runs/", views.VersionEvidenceRunsView.as_view(),
         name="api-version-evidence-runs"),
    path("evidence-runs/<int:run_id>/", views.EvidenceRunView.as_view(), name="api-evidence-run"),
    path("evidence-runs/<int:run_id>/cancel/", views.EvidenceRunCancelView.as_view(),
         name="api-evidence-run-cancel"),
    path("evidence-runs/<int:run_id>/rows/", views.EvidenceRunRowsView.as_view(),
         name="api-evidence-run-rows"),
]
