from django.urls import path

from explain import views

urlpatterns = [
    path("models/<slug:slug>/versions/<int:number>/", views.version_page, name="version"),
    path("models/<slug:slug>/versions/<int:number>/evidence/", views.start_run,
         name="version-start-run"),
    path("evidence/<int:run_id>/", views.run_page, name="evidence-run"),
    path("evidence/<int:run_id>/cancel/", views.cancel_run, name="evidence-run-cancel"),
    path("evidence/<int:run_id>/charts/<str:name>.svg", views.run_chart,
         name="evidence-run-chart"),
]
