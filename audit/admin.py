from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import transaction

from audit.models import AuditEvent
from audit.services import record_event
from audit.snapshots import changed_fields, snapshot


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


class AuditedAdmin(admin.ModelAdmin):
    """Admin changes outside Assay's own services (users and their roles) are audited
    too: the admin already runs each save in one transaction, the event joins it."""

    audit_exclude: tuple[str, ...] = ()

    def _state(self, obj) -> dict:
        state = snapshot(obj, exclude=self.audit_exclude)
        for field in obj._meta.many_to_many:
            state[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
        return state

    def _action(self, obj, verb: str) -> str:
        return f"{obj._meta.label_lower}.{verb}"

    def save_model(self, request, obj, form, change):
        obj._audit_before = self._state(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_audit_before", None)
        after = self._state(obj)
        if before is not None:
            before, after = changed_fields(before, after)
            if not after:
                return
        record_event(actor=request.user, action=self._action(obj, "changed" if change
                                                                 else "created"),
                     target=obj, before=before, after=after, reason="admin")

    def delete_model(self, request, obj):
        with transaction.atomic():
            record_event(actor=request.user, action=self._action(obj, "deleted"), target=obj,
                         before=self._state(obj), reason="admin")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The "Delete selected" action runs outside the admin's own transaction: the
        # events and the deletion commit together or not at all.
        with transaction.atomic():
            for obj in queryset:
                record_event(actor=request.user, action=self._action(obj, "deleted"),
                             target=obj, before=self._state(obj), reason="admin")
            super().delete_queryset(request, queryset)


class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    audit_exclude = ("password", "last_login")

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            with transaction.atomic():
                record_event(actor=request.user, action="auth.user.password_set",
                             target=user, reason="admin")
        return response


class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.register(User, AuditedUserAdmin)
admin.site.register(Group, AuditedGroupAdmin)
