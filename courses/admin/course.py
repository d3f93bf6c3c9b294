"""The course pages of the admin: the course with its modules inline, the status workflow
(publish, archive, back to draft) as actions, copies, and import and export as a .zip."""

import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from ..models import Course, CourseStatus, Lesson, Module
from ..permissions import content_root_unit
from ..services import authoring, learning, transfer
from .form_page import form_page
from .forms import CourseAdminForm, CourseImportForm, ModuleInlineFormSet
from .placement import PositionHelpMixin, place_new_rows
from .scoping import ScopedAutocompleteView, ScopedMixin


def _status_action(service, description, done_message):
    """An admin action that moves each chosen course through `service`, one by one, and says
    how many moved and why any did not."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        modeladmin.status_change(request, queryset, service, done_message)

    return action


class ModuleInline(PositionHelpMixin, ScopedMixin, admin.TabularInline):
    model = Module
    formset = ModuleInlineFormSet
    fields = ["position", "title", "lesson_count"]
    readonly_fields = ["lesson_count"]
    ordering = ["position", "id"]
    extra = 1
    show_change_link = True  # lessons are edited on the module's page

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_of_lessons=Count("lessons"))

    @admin.display(description=gettext_lazy("lessons"))
    def lesson_count(self, obj):
        return getattr(obj, "number_of_lessons", "") if obj.pk else ""


@admin.register(Course)
class CourseAdmin(ScopedMixin, admin.ModelAdmin):
    scope_field = ""
    form = CourseAdminForm
    list_display = [
        "title",
        "status",
        "owner_unit",
        "competency_area",
        "lesson_count",
        "updated_at",
    ]
    list_filter = ["status", "competency_area", "level", "featured"]
    search_fields = ["title", "slug", "summary", "owner_unit__name"]
    list_select_related = ["owner_unit"]
    # Meta.ordering again: Django drops it from the lesson count's GROUP BY; pages need an order.
    ordering = ["-featured", "title"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "description", "owner_unit"]}),
        (
            gettext_lazy("Learners"),
            {
                "fields": [
                    "audiences",
                    "competency_area",
                    "level",
                    "estimated_minutes",
                    "sequential",
                ]
            },
        ),
        (gettext_lazy("Cover"), {"fields": ["cover_image", "cover_alt"]}),
        (
            gettext_lazy("Publishing"),
            {"fields": ["status", "featured", "published_at", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ModuleInline]
    actions = [
        "publish_courses",
        "archive_courses",
        "unpublish_courses",
        "duplicate_courses",
        "export_course",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_of_lessons=Count("lessons"))

    @admin.display(description=gettext_lazy("lessons"), ordering="number_of_lessons")
    def lesson_count(self, obj):
        return obj.number_of_lessons

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        root = content_root_unit(user=request.user)
        if not request.user.is_superuser and (root is None or root.depth > 0):
            fields.append("featured")  # the national home page is the nation's to choose
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        root = content_root_unit(user=request.user)
        if root is not None:
            initial.setdefault("owner_unit", root.pk)
        return initial

    # Saving: the status moves through the workflow only after the modules are saved.

    def save_model(self, request, obj, form, change):
        form.wanted_status = obj.status
        was = form.initial.get("status", CourseStatus.DRAFT)
        obj.status = was if change else CourseStatus.DRAFT
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Module:
            place_new_rows(formset, {"course_id": form.instance.pk})
        super().save_formset(request, form, formset, change)
        if formset.model is Module and formset.deleted_objects:
            learning.course_progress_refresh(course=form.instance)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        course = form.instance
        authoring.course_search_text_refresh(course=course)
        wanted = getattr(form, "wanted_status", course.status)
        if wanted != course.status:
            try:
                updated = authoring.course_status_set(
                    course=course, status=wanted, actor=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(
                    request,
                    _("The course was saved but not published: %(problems)s")
                    % {"problems": " ".join(error.messages)},
                    messages.WARNING,
                )
            else:
                course.status, course.published_at = updated.status, updated.published_at

    # Pages

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="courses_course_import"),
            path(
                "autocomplete/",
                view(ScopedAutocompleteView.as_view(admin_site=self.admin_site)),
                name="courses_course_autocomplete",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["preview_url"] = reverse("courses:preview_course", args=[obj.pk])
            context["outline"] = _course_outline(obj)
            if obj.status != CourseStatus.PUBLISHED:
                context["publish_problems"] = authoring.course_publish_problems(course=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CourseImportForm(
            request.POST or None,
            request.FILES or None,
            user=request.user,
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            try:
                course = transfer.course_import(
                    upload=form.cleaned_data["archive"], owner_unit=form.cleaned_data["owner_unit"]
                )
            except transfer.TransferError as error:
                for problem in error.problems:
                    form.add_error("archive", problem)
            else:
                self.log_addition(request, course, [{"added": {}}])
                self.message_user(
                    request,
                    _("“%(course)s” was imported as a draft. Check it, then publish it.")
                    % {"course": course},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:courses_course_change", args=[course.pk])
                )
        return form_page(
            self,
            request,
            form,
            template="admin/courses/course/import_form.html",
            title=_("Import course (.zip)"),
            submit_label=_("Import"),
            multipart=True,
        )

    # Actions

    def status_change(self, request, queryset, service, done_message):
        changed = 0
        for course in queryset:
            try:
                service(course=course, actor=request.user, request=request)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("“%(course)s” was not published: %(problems)s")
                    % {"course": course, "problems": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                changed += 1
        if changed:
            self.message_user(request, done_message % {"count": changed})

    publish_courses = _status_action(
        authoring.course_publish,
        gettext_lazy("Publish"),
        ngettext_lazy("%(count)d course published.", "%(count)d courses published.", "count"),
    )
    archive_courses = _status_action(
        authoring.course_archive,
        gettext_lazy("Archive"),
        ngettext_lazy("%(count)d course archived.", "%(count)d courses archived.", "count"),
    )
    unpublish_courses = _status_action(
        authoring.course_unpublish,
        gettext_lazy("Back to draft"),
        ngettext_lazy(
            "%(count)d course moved back to draft.",
            "%(count)d courses moved back to draft.",
            "count",
        ),
    )

    @admin.action(description=gettext_lazy("Duplicate course"), permissions=["add"])
    def duplicate_courses(self, request, queryset):
        copies = [authoring.course_duplicate(course=course) for course in queryset]
        for copy in copies:
            self.log_addition(request, copy, [{"added": {}}])
        self.message_user(
            request,
            ngettext(
                "%(count)d draft copy created.", "%(count)d draft copies created.", len(copies)
            )
            % {"count": len(copies)},
        )
        if len(copies) == 1:
            return HttpResponseRedirect(reverse("admin:courses_course_change", args=[copies[0].pk]))
        return None

    @admin.action(description=gettext_lazy("Export as .zip"), permissions=["view"])
    def export_course(self, request, queryset):
        courses = list(queryset.select_related("owner_unit")[:2])
        if len(courses) != 1:
            self.message_user(request, _("Choose exactly one course to export."), messages.ERROR)
            return None
        course = courses[0]
        target = tempfile.TemporaryFile()
        result = transfer.course_export(course=course, target=target)
        if result.missing:
            self.message_user(
                request,
                _("These files were missing from storage and were left out: %(names)s")
                % {"names": ", ".join(result.missing)},
                messages.WARNING,
            )
        target.seek(0)
        return FileResponse(
            target,
            as_attachment=True,
            filename=f"{course.slug}.zip",
            content_type="application/zip",
        )


def _course_outline(course: Course) -> list[Module]:
    """Modules with their lessons and question counts, for the course page (two queries)."""
    lessons = Lesson.objects.annotate(
        number_of_questions=Count("questions", distinct=True),
    ).order_by("position", "id")
    return list(
        course.modules.order_by("position", "id").prefetch_related(
            Prefetch("lessons", queryset=lessons)
        )
    )
