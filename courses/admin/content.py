"""The content pages of the admin: modules with their lessons, lessons (a quiz with its
questions), questions with their choices. Removing lessons derives the learners' progress again."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.forms import Textarea
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Choice, CourseStatus, Lesson, Module, Question
from ..services import authoring, learning
from .forms import ChoiceInlineFormSet, LessonAdminForm, QuestionInlineFormSet
from .placement import KeptInParentMixin, PositionHelpMixin, place_new_rows
from .scoping import ScopedMixin


class ProgressFollowsDeletionMixin:
    """A lesson with learning records is protected by the database; removing any other one
    (or its module) derives the learners' progress again: the last lesson gone may complete
    a course."""

    def delete_model(self, request, obj):
        course = obj.course
        super().delete_model(request, obj)
        learning.course_progress_refresh(course=course)

    def delete_queryset(self, request, queryset):
        courses = {row.course for row in queryset.select_related("course")}
        super().delete_queryset(request, queryset)
        for course in courses:
            learning.course_progress_refresh(course=course)


def _parent_links(*pairs) -> list[dict]:
    """The way back up from a module, lesson or question page: (label, address) pairs."""
    return [{"label": label, "url": url} for label, url in pairs]


class LessonInline(PositionHelpMixin, ScopedMixin, admin.TabularInline):
    model = Lesson
    fk_name = "module"
    fields = ["position", "title", "kind", "estimated_minutes"]
    ordering = ["position", "id"]
    extra = 1
    show_change_link = True  # text, video, files and questions are edited on the lesson page


@admin.register(Module)
class ModuleAdmin(KeptInParentMixin, ProgressFollowsDeletionMixin, ScopedMixin, admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    search_fields = ["title", "course__title"]
    list_select_related = ["course"]
    ordering = ["course__title", "position", "id"]
    fields = ["course", "title", "position"]
    inlines = [LessonInline]
    parent_field = "course"  # lessons carry their course too: a module never moves to another

    def save_formset(self, request, form, formset, change):
        module = form.instance
        place_new_rows(formset, {"module_id": module.pk})
        for lesson_form in formset.forms:
            lesson_form.instance.course_id = module.course_id
        for obj in formset.save(commit=False):
            authoring.lesson_save(lesson=obj)
        for obj in formset.deleted_objects:
            obj.delete()
        if formset.deleted_objects:
            learning.course_progress_refresh(course=module.course)
        authoring.course_search_text_refresh(course=module.course)

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
class LessonAdmin(ProgressFollowsDeletionMixin, ScopedMixin, admin.ModelAdmin):
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
class QuestionAdmin(KeptInParentMixin, ScopedMixin, admin.ModelAdmin):
    scope_field = "lesson__course"
    list_display = ["__str__", "lesson", "kind", "position"]
    list_filter = ["kind"]
    search_fields = ["text", "lesson__title", "lesson__course__title"]
    list_select_related = ["lesson"]
    fields = ["lesson", "text", "kind", "explanation", "position"]
    inlines = [ChoiceInline]
    parent_field = "lesson"  # attempts remember answers by question: a question stays in its quiz

    def save_formset(self, request, form, formset, change):
        place_new_rows(formset, {"question_id": form.instance.pk})
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
