"""The admin is for superusers and is read-only for registry data: changes go
through services (web, API, CLI), which audit them. Token revocation is the
one admin action, and it calls the service too."""

from django.contrib import admin, messages

from audit.admin import ReadOnlyAdmin
from registry import services
from registry.models import ApiToken, Dataset, ModelVersion, RegisteredModel


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "risk_tier", "status", "owner", "next_review_date")
    list_filter = ("risk_tier", "status")
    search_fields = ("slug", "name")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("model", "number", "status", "artifact_format", "created_at")
    list_filter = ("status", "artifact_format")


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ("name", "format", "row_count", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "scopes", "expires_at", "revoked_at",
                    "last_used_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # needed for the revoke action only; fields stay read-only

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["restricted_to"]

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_api_token(actor=request.user, token=token, reason="revoked in admin")
        messages.success(request, f"Revoked {queryset.count()} token(s).")
