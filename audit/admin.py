from django.contrib import admin

from audit.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """For data that only audited services may change: the admin shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The table is append-only; the database refuses edits anyway."""

    list_display = ("sequence", "timestamp", "actor_name", "action", "target_label", "channel")
    list_filter = ("action", "channel", "actor_kind")
    search_fields = ("target_label", "actor_name", "request_id", "reason")
