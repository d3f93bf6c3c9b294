"""Assignments in the admin: several courses assigned at once to a unit and audience group, the
due date changed later, assignments deleted; scoped by the unit they bind."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Assignment
from ..permissions import scope_assignments
from ..services.assignments import (
    assignment_delete,
    assignment_reschedule,
    assignments_create,
    assignments_delete,
)
from .form_page import form_page
from .forms import AssignmentAddForm, AssignmentChangeForm
from .scoping import ScopedMixin


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
                created = assignments_create(
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
        return form_page(
            self,
            request,
            form,
            template="admin/courses/assignment/add_form.html",
            title=_("Assign courses"),
            submit_label=_("Assign"),
            has_view_permission=self.has_view_permission(request),
            **(extra_context or {}),
        )

    def save_model(self, request, obj, form, change):
        assignment_reschedule(assignment=obj, due_date=form.cleaned_data["due_date"])

    # Deleting leaves no row behind: the service touches the course for the statistics.

    def delete_model(self, request, obj):
        assignment_delete(assignment=obj)

    def delete_queryset(self, request, queryset):
        assignments_delete(assignments=queryset)
