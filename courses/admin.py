from django.contrib import admin, messages
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import services
from .models import Certificate, Choice, Course, Enrollment, Lesson, Module, Question
from .sanitize import html_sanitize


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ["title", "position"]
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "competency_area", "owner_unit", "featured"]
    list_filter = ["status", "competency_area", "level", "featured"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner_unit"]
    list_select_related = ["owner_unit"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ModuleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.course_search_text_refresh(course=form.instance)


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    search_fields = ["title", "course__title"]
    autocomplete_fields = ["course"]
    list_select_related = ["course"]


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["text", "kind", "position"]
    extra = 0
    show_change_link = True  # choices are edited on the question's own page


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "module", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["title", "course__title"]
    autocomplete_fields = ["module"]
    list_select_related = ["course", "module"]
    # The course is copied from the module on save, so it is never chosen separately.
    fields = [
        "module",
        "title",
        "kind",
        "position",
        "estimated_minutes",
        "body",
        "video_file",
        "video_url",
        "transcript",
        "attachment",
        "pass_mark",
        "max_attempts",
        "shuffle",
    ]
    inlines = [QuestionInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        obj.body = html_sanitize(obj.body)
        obj.course_id = obj.module.course_id
        super().save_model(request, obj, form, change)
        services.course_search_text_refresh(course=obj.course)


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["text", "is_correct", "position"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lesson", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["text", "lesson__title"]
    autocomplete_fields = ["lesson"]
    list_select_related = ["lesson"]
    inlines = [ChoiceInline]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Read-only: enrolments and progress change only through the learning services."""

    list_display = ["user", "course", "progress_percent", "completed_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["user__email"]
    list_select_related = ["user", "course"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "course_title", "issued_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "full_name"]
    fields = [
        "code",
        "full_name",
        "course_title",
        "issued_at",
        "enrollment",
        "revoked_at",
        "revoked_reason",
    ]
    # A certificate states what was true when it was issued; it is only ever revoked.
    readonly_fields = fields
    actions = ["revoke_certificates"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Revoke selected certificates"), permissions=["change"])
    def revoke_certificates(self, request, queryset):
        reason = _("Revoked by an administrator")
        revoked = 0
        with transaction.atomic():
            for certificate in queryset.filter(revoked_at__isnull=True).select_related(
                "enrollment"
            ):
                services.certificate_revoke(certificate=certificate, reason=reason)
                revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d certificate revoked.", "%(count)d certificates revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
