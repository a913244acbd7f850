from django.urls import path

import registry.converters  # noqa: F401 - registers <id:...>
from explain.api import views

urlpatterns = [
    path("models/<slug:slug>/reason-texts/", views.ReasonTextsView.as_view(),
         name="api-reason-texts"),
    path("versions/<id:version_id>/evidence-runs/", views.VersionEvidenceRunsView.as_view(),
         name="api-version-evidence-runs"),
    path("evidence-runs/<id:run_id>/", views.EvidenceRunView.as_view(), name="api-evidence-run"),
    path("evidence-runs/<id:run_id>/cancel/", views.EvidenceRunCancelView.as_view(),
         name="api-evidence-run-cancel"),
    path("evidence-runs/<id:run_id>/rows/", views.EvidenceRunRowsView.as_view(),
         name="api-evidence-run-rows"),
]
