from django.urls import path

from governance.workflow.api import views

urlpatterns = [
    path("models/<slug:slug>/deployable/", views.ModelDeployableView.as_view(),
         name="api-model-deployable"),
    # The path CI scripts are told about, without the trailing slash (no redirect).
    path("models/<slug:slug>/deployable", views.ModelDeployableView.as_view()),
    path("models/<slug:slug>/versions/<int:number>/deployable",
         views.VersionDeployableView.as_view()),
    path("models/<slug:slug>/state/", views.ModelStateView.as_view(), name="api-model-state"),
    path("models/<slug:slug>/versions/<int:number>/deployable/",
         views.VersionDeployableView.as_view(), name="api-version-deployable"),
    path("models/<slug:slug>/versions/<int:number>/transitions/",
         views.VersionTransitionView.as_view(), name="api-version-transitions"),
]
