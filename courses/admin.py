"""The authoring admin. Every queryset and choice list goes through courses.permissions, every
write through courses.authoring / courses.services / courses.transfer."""

import tempfile

from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Prefetch, Q
from django.forms import Textarea
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from units.models import Unit

from . import authoring, services
from .forms_admin import (
    AssignmentAddForm,
    AssignmentChangeForm,
    ChoiceInlineFormSet,
    CourseAdminForm,
    CourseImportForm,
    LessonAdminForm,
    ModuleInlineFormSet,
    QuestionInlineFormSet,
    ScopedAutocompleteSelect,
)
from .models import (
    Assignment,
    Certificate,
    Choice,
    Course,
    CourseStatus,
    Enrollment,
    Lesson,
    LessonKind,
    Module,
    Question,
)
from .permissions import (
    content_courses,
    content_root_unit,
    content_units,
    scope_assignments,
    scope_by_course,
)
from .transfer import TransferError, course_export, course_import


def _in_course_label(obj) -> str:
    return f"{obj.course} › {obj}"


class ScopedMixin:
    """Rows whose course is owned outside the author's scope do not exist for them: lists,
    change and delete pages (a 302 to the admin index, nothing changed) and actions."""

    scope_field = "course"  # path from the row to its course; "" for Course itself

    def get_queryset(self, request):
        return scope_by_course(
            super().get_queryset(request), user=request.user, course_field=self.scope_field
        )

    def scoped_foreign_key(self, db_field, request, kwargs):
        """Choice lists of courses, modules, quiz lessons and units, cut to the scope."""
        user = request.user
        model = db_field.related_model
        if model is Unit:
            kwargs["queryset"] = content_units(user=user)
            kwargs["widget"] = ScopedAutocompleteSelect(db_field, self.admin_site)
        elif model is Course:
            kwargs["queryset"] = content_courses(user=user).exclude(status=CourseStatus.ARCHIVED)
            kwargs["widget"] = ScopedAutocompleteSelect(db_field, self.admin_site)
        elif model is Module:
            kwargs["queryset"] = scope_by_course(Module.objects.select_related("course"), user=user)
            kwargs["widget"] = ScopedAutocompleteSelect(db_field, self.admin_site)
        elif model is Lesson:
            kwargs["queryset"] = scope_by_course(
                Lesson.objects.filter(kind=LessonKind.QUIZ).select_related("course"), user=user
            )
            kwargs["widget"] = ScopedAutocompleteSelect(db_field, self.admin_site)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self.scoped_foreign_key(db_field, request, kwargs)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model in (Module, Lesson):
            formfield.label_from_instance = _in_course_label
        return formfield


class PositionHelpMixin:
    """Inline rows are ordered by an explicit position the author types."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            kwargs["help_text"] = _("Order within the list; leave 0 to add at the end.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _place_new_rows(formset, parent_filter: dict) -> None:
    """New rows left at position 0 go to the end of their parent, in the order typed."""
    position = authoring.next_position(formset.model.objects.filter(**parent_filter))
    for form in formset.forms:
        instance = form.instance
        if instance.pk is None and form.has_changed() and not instance.position:
            instance.position = position
            position += 1


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
            _place_new_rows(formset, {"course_id": form.instance.pk})
        super().save_formset(request, form, formset, change)
        if formset.model is Module and formset.deleted_objects:
            services.course_progress_refresh(course=form.instance)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        course = form.instance
        services.course_search_text_refresh(course=course)
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
                course = course_import(
                    upload=form.cleaned_data["archive"], owner_unit=form.cleaned_data["owner_unit"]
                )
            except TransferError as error:
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import course (.zip)"),
            "form": form,
            "media": self.media + form.media,
            "submit_label": _("Import"),
            "multipart": True,
        }
        return TemplateResponse(
            request,
            "admin/courses/course/import_form.html",
            context,
            status=400 if form.errors else 200,
        )

    # Actions

    def _status_action(self, request, queryset, service, done_message):
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
            self.message_user(request, done_message(changed) % {"count": changed})

    @admin.action(description=gettext_lazy("Publish"), permissions=["change"])
    def publish_courses(self, request, queryset):
        self._status_action(
            request,
            queryset,
            authoring.course_publish,
            lambda n: ngettext("%(count)d course published.", "%(count)d courses published.", n),
        )

    @admin.action(description=gettext_lazy("Archive"), permissions=["change"])
    def archive_courses(self, request, queryset):
        self._status_action(
            request,
            queryset,
            authoring.course_archive,
            lambda n: ngettext("%(count)d course archived.", "%(count)d courses archived.", n),
        )

    @admin.action(description=gettext_lazy("Back to draft"), permissions=["change"])
    def unpublish_courses(self, request, queryset):
        self._status_action(
            request,
            queryset,
            authoring.course_unpublish,
            lambda n: ngettext(
                "%(count)d course moved back to draft.", "%(count)d courses moved back to draft.", n
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
        result = course_export(course=course, target=target)
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


class ScopedAutocompleteView(AutocompleteJsonView):
    """Search-as-you-type for units, modules and quiz lessons in the course forms: only what the
    author may choose, and modules and lessons labelled with their course."""

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        model = queryset.model
        if model is Unit:
            if not user.is_superuser:
                queryset = queryset.filter(pk__in=content_units(user=user).values("pk"))
        elif model is Course:
            queryset = queryset.exclude(status=CourseStatus.ARCHIVED)  # already scoped
        elif model is Module:
            queryset = scope_by_course(queryset.select_related("course"), user=user)
        elif model is Lesson:
            queryset = scope_by_course(
                queryset.filter(kind=LessonKind.QUIZ).select_related("course"), user=user
            )
        else:
            queryset = queryset.none()
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Module | Lesson):
            result["text"] = _in_course_label(obj)
        return result


def _parent_links(*pairs) -> list[dict]:
    return [{"label": label, "url": url} for label, url in pairs]


class LessonInline(PositionHelpMixin, ScopedMixin, admin.TabularInline):
    model = Lesson
    fk_name = "module"
    fields = ["position", "title", "kind", "estimated_minutes"]
    ordering = ["position", "id"]
    extra = 1
    show_change_link = True  # text, video, files and questions are edited on the lesson page


@admin.register(Module)
class ModuleAdmin(ScopedMixin, admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    search_fields = ["title", "course__title"]
    list_select_related = ["course"]
    ordering = ["course__title", "position", "id"]
    fields = ["course", "title", "position"]
    inlines = [LessonInline]

    def get_readonly_fields(self, request, obj=None):
        # Lessons carry their course too: a module never moves to another course.
        return ["course"] if obj else []

    def save_model(self, request, obj, form, change):
        if not obj.position:
            obj.position = authoring.next_position(Module.objects.filter(course=obj.course))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        module = form.instance
        _place_new_rows(formset, {"module_id": module.pk})
        for lesson_form in formset.forms:
            lesson_form.instance.course_id = module.course_id
        for obj in formset.save(commit=False):
            authoring.lesson_save(lesson=obj)
        for obj in formset.deleted_objects:
            obj.delete()
        if formset.deleted_objects:
            services.course_progress_refresh(course=module.course)
        services.course_search_text_refresh(course=module.course)

    def delete_model(self, request, obj):
        course = obj.course
        super().delete_model(request, obj)
        services.course_progress_refresh(course=course)

    def delete_queryset(self, request, queryset):
        courses = {module.course for module in queryset.select_related("course")}
        super().delete_queryset(request, queryset)
        for course in courses:
            services.course_progress_refresh(course=course)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["parent_links"] = _parent_links(
                (
                    _("Course: %(title)s") % {"title": obj.course},
                    reverse("admin:courses_course_change", args=[obj.course_id]),
                )
            )
            context["preview_url"] = reverse("courses:preview_course", args=[obj.course_id])
        return super().render_change_form(request, context, add, change, form_url, obj)


class QuestionInline(PositionHelpMixin, ScopedMixin, admin.TabularInline):
    """Questions at a glance; their choices are edited on the question's own page, where the
    answer key is checked, so new questions are added there too."""

    model = Question
    scope_field = "lesson__course"
    formset = QuestionInlineFormSet
    fields = ["position", "text", "kind", "choice_summary"]
    readonly_fields = ["kind", "choice_summary"]
    ordering = ["position", "id"]
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 60})}}

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                number_of_choices=Count("choices"),
                number_correct=Count("choices", filter=Q(choices__is_correct=True)),
            )
        )

    @admin.display(description=gettext_lazy("choices"))
    def choice_summary(self, obj):
        if not obj.pk:
            return ""
        return ngettext(
            "%(count)d choice, %(correct)d correct",
            "%(count)d choices, %(correct)d correct",
            obj.number_of_choices,
        ) % {"count": obj.number_of_choices, "correct": obj.number_correct}


@admin.register(Lesson)
class LessonAdmin(ScopedMixin, admin.ModelAdmin):
    form = LessonAdminForm
    list_display = ["title", "course", "module", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["title", "course__title"]
    list_select_related = ["course", "module"]
    ordering = ["course__title", "module__position", "position", "id"]
    # The course is copied from the module on save, so it is never chosen separately.
    fieldsets = [
        (None, {"fields": ["module", "title", "kind", "position", "estimated_minutes"]}),
        (
            gettext_lazy("Content"),
            {"fields": ["body", "video_file", "video_url", "transcript", "attachment"]},
        ),
        (
            gettext_lazy("Quiz"),
            {
                "fields": ["pass_mark", "max_attempts", "shuffle"],
                "description": gettext_lazy("Only used when the lesson is a quiz."),
            },
        ),
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_inlines(self, request, obj):
        return [QuestionInline] if obj is not None and obj.is_quiz else []

    # A lesson with learning records is protected by the database; removing any other one
    # recomputes the learners' progress (the last lesson gone may complete a course).
    def delete_model(self, request, obj):
        course = obj.course
        super().delete_model(request, obj)
        services.course_progress_refresh(course=course)

    def delete_queryset(self, request, queryset):
        courses = {lesson.course for lesson in queryset.select_related("course")}
        super().delete_queryset(request, queryset)
        for course in courses:
            services.course_progress_refresh(course=course)

    def save_model(self, request, obj, form, change):
        authoring.lesson_save(lesson=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        lesson = form.instance
        if (
            lesson.is_quiz
            and lesson.course.status == CourseStatus.PUBLISHED
            and not lesson.questions.exists()
        ):
            self.message_user(
                request,
                _("Learners cannot pass this quiz until it has questions: add them now."),
                messages.WARNING,
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["parent_links"] = _parent_links(
                (
                    _("Course: %(title)s") % {"title": obj.course},
                    reverse("admin:courses_course_change", args=[obj.course_id]),
                ),
                (
                    _("Module: %(title)s") % {"title": obj.module},
                    reverse("admin:courses_module_change", args=[obj.module_id]),
                ),
            )
            context["preview_url"] = reverse("courses:preview_lesson", args=[obj.course_id, obj.pk])
            if obj.is_quiz:
                context["add_question_url"] = (
                    reverse("admin:courses_question_add") + f"?lesson={obj.pk}"
                )
        return super().render_change_form(request, context, add, change, form_url, obj)


class ChoiceInline(PositionHelpMixin, ScopedMixin, admin.TabularInline):
    model = Choice
    scope_field = "question__lesson__course"
    formset = ChoiceInlineFormSet
    fields = ["position", "text", "is_correct"]
    ordering = ["position", "id"]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is not None else 4


@admin.register(Question)
class QuestionAdmin(ScopedMixin, admin.ModelAdmin):
    scope_field = "lesson__course"
    list_display = ["__str__", "lesson", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["text", "lesson__title", "lesson__course__title"]
    list_select_related = ["lesson"]
    fields = ["lesson", "text", "kind", "explanation", "position"]
    inlines = [ChoiceInline]

    def get_readonly_fields(self, request, obj=None):
        # Attempts remember answers by question: a question stays in its quiz.
        return ["lesson"] if obj else []

    def save_model(self, request, obj, form, change):
        if not obj.position:
            obj.position = authoring.next_position(Question.objects.filter(lesson=obj.lesson))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        _place_new_rows(formset, {"question_id": form.instance.pk})
        super().save_formset(request, form, formset, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            lesson = obj.lesson
            context["parent_links"] = _parent_links(
                (
                    _("Course: %(title)s") % {"title": lesson.course},
                    reverse("admin:courses_course_change", args=[lesson.course_id]),
                ),
                (
                    _("Quiz: %(title)s") % {"title": lesson},
                    reverse("admin:courses_lesson_change", args=[lesson.pk]),
                ),
            )
            context["preview_url"] = reverse(
                "courses:preview_lesson", args=[lesson.course_id, lesson.pk]
            )
            context["add_question_url"] = (
                reverse("admin:courses_question_add") + f"?lesson={lesson.pk}"
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST:  # the next question goes to the same quiz
            self.message_user(request, _("Question added."), messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:courses_question_add") + f"?lesson={obj.lesson_id}"
            )
        return super().response_add(request, obj, post_url_continue)


@admin.register(Assignment)
class AssignmentAdmin(ScopedMixin, admin.ModelAdmin):
    form = AssignmentChangeForm
    list_display = ["course", "unit", "audience", "due_date", "created_by"]
    list_filter = ["audience_group", "due_date"]
    search_fields = ["course__title", "unit__name", "unit__code"]
    list_select_related = ["course", "unit", "created_by"]
    date_hierarchy = "due_date"
    readonly_fields = ["course", "unit", "audience", "created_by", "created_at", "updated_at"]
    fields = ["course", "unit", "audience", "due_date", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request):
        # Scoped by the unit the assignment binds: national courses may be assigned too.
        return scope_assignments(admin.ModelAdmin.get_queryset(self, request), user=request.user)

    @admin.display(description=gettext_lazy("audience group"), ordering="audience_group")
    def audience(self, obj):
        return obj.get_audience_group_display() or _("Every audience group")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AssignmentAddForm(
            request.POST or None, user=request.user, admin_site=self.admin_site
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = authoring.assignments_create(
                    courses=data["courses"],
                    unit=data["unit"],
                    audience_group=data["audience_group"],
                    due_date=data["due_date"],
                    created_by=request.user,
                )
            except (ValidationError, IntegrityError) as error:
                messages_ = getattr(error, "messages", None) or [
                    _("Already assigned to this unit and audience group.")
                ]
                form.add_error(None, messages_)
            else:
                for assignment in created:
                    self.log_addition(request, assignment, [{"added": {}}])
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d assignment created.",
                        "%(count)d assignments created.",
                        len(created),
                    )
                    % {"count": len(created)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:courses_assignment_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Assign courses"),
            "form": form,
            "media": self.media + form.media,
            "submit_label": _("Assign"),
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request,
            "admin/courses/assignment/add_form.html",
            context,
            status=400 if form.errors else 200,
        )

    def save_model(self, request, obj, form, change):
        authoring.assignment_reschedule(assignment=obj, due_date=form.cleaned_data["due_date"])

    # Deleting leaves no row behind: the service touches the course for the statistics.

    def delete_model(self, request, obj):
        services.assignment_delete(assignment=obj)

    def delete_queryset(self, request, queryset):
        authoring.assignments_delete(assignments=queryset)


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedMixin, admin.ModelAdmin):
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
class CertificateAdmin(ScopedMixin, admin.ModelAdmin):
    scope_field = "enrollment__course"
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
                services.certificate_revoke(
                    certificate=certificate, reason=reason, actor=request.user, request=request
                )
                revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d certificate revoked.", "%(count)d certificates revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
