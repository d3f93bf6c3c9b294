from django.contrib import admin

from .models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the code writes (the log, figures, exports, enrolments): the admin shows them;
    nobody adds, changes or deletes one here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Superusers read the log."""

    list_display = ["at", "actor_email", "action", "target_repr", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["actor_email", "target_repr", "target_id"]
    date_hierarchy = "at"
    fields = [
        "at",
        "actor",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "details",
        "ip_address",
    ]
    readonly_fields = fields
    list_select_related = False
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
