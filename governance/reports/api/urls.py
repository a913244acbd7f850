from django.urls import path

from governance.reports.api import views

urlpatterns = [
    path("signing-keys/", views.SigningKeysView.as_view(), name="api-signing-keys"),
    path("versions/<int:version_id>/audit-pack", views.LatestAuditPackView.as_view(),
         name="api-version-audit-pack"),
    path("versions/<int:version_id>/audit-packs/", views.AuditPackListView.as_view(),
         name="api-version-audit-packs"),
    path("inventory-report.pdf", views.InventoryReportView.as_view(),
         name="api-inventory-report"),
    path("audit-packs/<str:pack_id>.pdf", views.AuditPackDownloadView.as_view(),
         name="api-audit-pack"),
]
