from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import ThrottledAdminAuthenticationForm
from accounts.views import ThrottledLoginView
from audit import views as audit_views
from governance.health import health, readiness
from registry import views as registry_views
from registry.api.problems_view import problem_description

admin.site.site_header = "Assay administration"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", registry_views.inventory_page, name="inventory"),
    path("inventory/new/", registry_views.inventory_entry_new, name="inventory-new"),
    path("inventory.csv", registry_views.inventory_csv, name="inventory-csv"),
    path("models/<slug:slug>/edit/", registry_views.inventory_entry_edit, name="model-edit"),
    path("", include("governance.workflow.urls")),
    path("", include("explain.urls")),
    path("", include("governance.reports.urls")),
    path("audit/", audit_views.audit_search_page, name="audit-search"),
    path("audit/export.csv", audit_views.audit_search_csv, name="audit-search-csv"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", health, name="health"),
    path("health/ready/", readiness, name="health-ready"),
    path("api/v1/", include("registry.api.urls")),
    path("api/v1/", include("explain.api.urls")),
    path("api/v1/", include("governance.workflow.api.urls")),
    path("api/v1/", include("governance.reports.api.urls")),
    path("api/problems/<slug:slug>", problem_description, name="api-problem"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]


def _superusers_only(request):
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only

handler400 = "governance.error_views.bad_request"
handler403 = "governance.error_views.permission_denied"
handler404 = "governance.error_views.not_found"
handler500 = "governance.error_views.server_error"
