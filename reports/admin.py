from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.selectors import role_root_unit

from .models import ExportJob, UnitStat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Figures and exports are written by workers only; the admin just looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitStat)
class UnitStatAdmin(ReadOnlyAdmin):
    list_display = [
        "unit",
        "course_key",
        "audience_group",
        "learners",
        "enrolled",
        "started",
        "completed",
        "certified",
        "target",
        "computed_at",
    ]
    list_filter = ["audience_group"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["unit"]
    show_full_result_count = False  # a COUNT(*) over every cell on each page is wasted work

    def get_queryset(self, request):
        # Staff who are not superusers see their reports scope only, as on the report pages.
        root = role_root_unit(user=request.user)
        queryset = super().get_queryset(request)
        if root is None:
            return queryset.none()
        return queryset.filter(unit__path__startswith=root.path)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "requester", "unit", "file_format", "status", "progress"]
    list_filter = ["status", "file_format"]
    search_fields = ["requester__email", "unit__code", "unit__name"]
    list_select_related = ["requester", "unit"]
    # No `file` field: a link would point at MEDIA_URL, and exports are only served by the
    # permission-checked download view.
    fields = [
        "requester",
        "unit",
        "view",
        "params",
        "file_format",
        "status",
        "progress",
        "stored_file",
        "error",
        "created_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("stored file"))
    def stored_file(self, obj):
        return obj.file.name or "—"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(requester=request.user)
