from django.urls import path

from explain import views

urlpatterns = [
    path("evidence/<int:run_id>/", views.run_page, name="evidence-run"),
    path("evidence/<int:run_id>/cancel/", views.cancel_run, name="evidence-run-cancel"),
    path("evidence/<int:run_id>/charts/<str:name>.svg", views.run_chart,
         name="evidence-run-chart"),
]
