from django.urls import path

import registry.converters  # noqa: F401 - registers <id:...>
from explain import views

urlpatterns = [
    path("evidence/<id:run_id>/", views.run_page, name="evidence-run"),
    path("evidence/<id:run_id>/cancel/", views.cancel_run, name="evidence-run-cancel"),
    path("evidence/<id:run_id>/charts/<slug:name>.svg", views.run_chart,
         name="evidence-run-chart"),
]
