from django.urls import path

from registry.api import views

urlpatterns = [
    path("models/", views.ModelListView.as_view(), name="api-models"),
    path("models/<slug:slug>/", views.ModelDetailView.as_view(), name="api-model"),
    path("models/<slug:slug>/versions/", views.VersionListView.as_view(), name="api-versions"),
    path("models/<slug:slug>/versions/<int:number>/", views.VersionDetailView.as_view(),
         name="api-version"),
    path("datasets/", views.DatasetListView.as_view(), name="api-datasets"),
    path("datasets/<int:dataset_id>/", views.DatasetDetailView.as_view(), name="api-dataset"),
]
