from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.selectors import scoped
from audit.admin import ReadOnlyAdmin

from .models import ExportJob, StatsRun, UnitStat


@admin.register(UnitStat)
class UnitStatAdmin(ReadOnlyAdmin):
    list_display = [
        "unit",
        "course_key",
        "audience_group",
        *(name for name in UnitStat.COUNT_FIELDS if name != "target_completed"),
        "computed_at",
    ]
    list_filter = ["audience_group"]
    search_fields = ["unit__code", "unit__name"]
    list_select_related = ["unit"]
    show_full_result_count = False  # a COUNT(*) over every cell on each page is wasted work

    def get_queryset(self, request):
        # Staff who are not superusers see their reports scope only, as on the report pages.
        return scoped(super().get_queryset(request), user=request.user, unit_path="unit__path")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "requester",
        "unit",
        "file_format",
        "status",
        "progress",
        "attempts",
    ]
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
        "dispatched_at",
        "claimed_at",
        "attempts",
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


class RunStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return StatsRun.Status.choices

    def queryset(self, request, queryset):
        if self.value() == StatsRun.Status.DONE:
            return queryset.filter(finished_at__isnull=False)
        if self.value() == StatsRun.Status.FAILED:
            return queryset.filter(finished_at__isnull=True, failed_at__isnull=False)
        if self.value() == StatsRun.Status.RUNNING:
            return queryset.filter(finished_at__isnull=True, failed_at__isnull=True)
        return queryset


@admin.register(StatsRun)
class StatsRunAdmin(ReadOnlyAdmin):
    """Runs of the statistics engine, and the button that asks a worker for a full rebuild."""

    list_display = [
        "started_at",
        "kind",
        "status_label",
        "finished_at",
        "checked_at",
        "failed_at",
        "stale_rows",
        "cells_written",
    ]
    list_filter = ["kind", RunStatusFilter]
    show_full_result_count = False
    change_list_template = "admin/reports/statsrun/change_list.html"

    @admin.display(description=_("status"))
    def status_label(self, obj):
        return StatsRun.Status(obj.status).label

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_urls(self):
        urls = [
            path(
                "rebuild/",
                self.admin_site.admin_view(self.rebuild_view),
                name="reports_statsrun_rebuild",
            )
        ]
        return urls + super().get_urls()

    def rebuild_view(self, request):
        if not request.user.is_superuser:
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        from .tasks import stats_full_rebuild

        stats_full_rebuild.delay_on_commit()
        self.message_user(
            request,
            _("A full rebuild of the statistics has been queued; the figures update in a moment."),
            messages.SUCCESS,
        )
        return redirect("admin:reports_statsrun_changelist")
