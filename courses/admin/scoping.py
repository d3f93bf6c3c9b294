"""The author's scope in the admin: rows whose course is owned outside it do not exist for them,
and every choice list and search-as-you-type select offers only what they may choose."""

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse

from units.models import Unit

from ..models import Course, CourseStatus, Lesson, LessonKind, Module
from ..permissions import content_courses, content_units, scope_by_course


def in_course_label(obj) -> str:
    return f"{obj.course} › {obj}"


class ScopedAutocompleteSelect(AutocompleteSelect):
    """The admin's search-as-you-type select, answered by ScopedAutocompleteView (served under
    the course admin), which keeps to the author's scope."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:courses_course_autocomplete")


def scoped_unit_field(form_field, model_field, admin_site, *, user) -> None:
    """Give a form's unit field the scoped search widget and the units in the user's scope."""
    form_field.widget = ScopedAutocompleteSelect(model_field, admin_site)
    form_field.widget.is_required = form_field.required
    form_field.queryset = content_units(user=user)  # after the widget: it hands over the choices


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
        elif model is Course:
            kwargs["queryset"] = content_courses(user=user).exclude(status=CourseStatus.ARCHIVED)
        elif model is Module:
            kwargs["queryset"] = scope_by_course(Module.objects.select_related("course"), user=user)
        elif model is Lesson:
            kwargs["queryset"] = scope_by_course(
                Lesson.objects.filter(kind=LessonKind.QUIZ).select_related("course"), user=user
            )
        else:
            return kwargs
        kwargs["widget"] = ScopedAutocompleteSelect(db_field, self.admin_site)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self.scoped_foreign_key(db_field, request, kwargs)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model in (Module, Lesson):
            formfield.label_from_instance = in_course_label
        return formfield


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
            result["text"] = in_course_label(obj)
        return result
