"""Superusers register webhook endpoints here (each save is audited; the secret is
never shown in the audit trail). The governance record itself is read-only: it is
written by the services, with signatures."""

from django.contrib import admin
from django.db import transaction

from audit.admin import ReadOnlyAdmin
from audit.services import record_event
from governance.workflow.models import (
    Approval,
    Decision,
    Finding,
    TierPolicy,
    WebhookDelivery,
    WebhookEndpoint,
)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "events", "active", "created_at")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_event(actor=request.user, action="webhook_endpoint.saved", target=obj,
                         after={"name": obj.name, "url": obj.url, "events": obj.events,
                                "active": obj.active, "secret_changed": "secret" in
                                form.changed_data})

    def delete_model(self, request, obj):
        with transaction.atomic():
            record_event(actor=request.user, action="webhook_endpoint.deleted", target=obj,
                         before={"name": obj.name, "url": obj.url})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                record_event(actor=request.user, action="webhook_endpoint.deleted", target=obj,
                             before={"name": obj.name, "url": obj.url})
            super().delete_queryset(request, queryset)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "endpoint", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event")


for model, columns in ((TierPolicy, ("tier", "revision", "created_by", "created_at")),
                       (Decision, ("version", "kind", "signer_name", "capacity", "signed_at")),
                       (Approval, ("version", "approved_at", "expires_at")),
                       (Finding, ("version", "severity", "title", "status", "due_date"))):
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,),
                                    {"list_display": columns}))
