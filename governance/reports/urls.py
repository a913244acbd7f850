from django.urls import path

from governance.reports import views

urlpatterns = [
    path("models/<slug:slug>/versions/<int:number>/audit-packs/", views.packs_page,
         name="version-audit-packs"),
    path("inventory/report.pdf", views.inventory_report, name="inventory-report"),
    path("audit-packs/<str:pack_id>.pdf", views.download_pack, name="audit-pack-download"),
]
