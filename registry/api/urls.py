from django.urls import path

import registry.converters  # noqa: F401 - registers <id:...>
from registry.api import views

urlpatterns = [
    path("models/", views.ModelListView.as_view(), name="api-models"),
    path("models/<slug:slug>/", views.ModelDetailView.as_view(), name="api-model"),
    path("models/<slug:slug>/versions/", views.VersionListView.as_view(), name="api-versions"),
    path("models/<slug:slug>/versions/<id:number>/", views.VersionDetailView.as_view(),
         name="api-version"),
    path("datasets/", views.DatasetListView.as_view(), name="api-datasets"),
    path("datasets/<id:dataset_id>/", views.DatasetDetailView.as_view(), name="api-dataset"),
]
