from django.urls import path

import registry.converters  # noqa: F401 - registers <id:...>
from governance.workflow.api import views

urlpatterns = [
    path("models/<slug:slug>/deployable/", views.ModelDeployableView.as_view(),
         name="api-model-deployable"),
    # The path CI scripts are told about, without the trailing slash (no redirect).
    path("models/<slug:slug>/deployable", views.ModelDeployableView.as_view()),
    path("models/<slug:slug>/versions/<id:number>/deployable",
         views.VersionDeployableView.as_view()),
    path("models/<slug:slug>/state/", views.ModelStateView.as_view(), name="api-model-state"),
    path("models/<slug:slug>/versions/<id:number>/deployable/",
         views.VersionDeployableView.as_view(), name="api-version-deployable"),
    path("models/<slug:slug>/versions/<id:number>/transitions/",
         views.VersionTransitionView.as_view(), name="api-version-transitions"),
]
