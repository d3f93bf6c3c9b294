"""Courses required of a unit subtree and audience group: assign (one course or several at
once), reschedule, delete. Deleting leaves no row behind, so the course is touched for the
statistics engine to notice."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from units.models import Unit

from ..models import Assignment, Course


@transaction.atomic
def assignment_create(
    *,
    course: Course,
    unit: Unit,
    audience_group: str,
    due_date: date,
    created_by: User | None = None,
) -> Assignment:
    assignment = Assignment(
        course=course,
        unit=unit,
        audience_group=audience_group,
        due_date=due_date,
        created_by=created_by,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def assignments_create(
    *,
    courses: Iterable[Course],
    unit: Unit,
    audience_group: str,
    due_date: date,
    created_by: User | None = None,
) -> list[Assignment]:
    """One assignment per course, all or none; a scope assigned already is refused."""
    courses = list(courses)
    taken = Assignment.objects.filter(
        course__in=courses, unit=unit, audience_group=audience_group
    ).select_related("course")
    if taken:
        raise ValidationError(
            _("Already assigned to this unit and audience group: %(courses)s.")
            % {"courses": ", ".join(sorted(a.course.title for a in taken))},
            code="duplicate",
        )
    return [
        assignment_create(
            course=course,
            unit=unit,
            audience_group=audience_group,
            due_date=due_date,
            created_by=created_by,
        )
        for course in courses
    ]


@transaction.atomic
def assignment_reschedule(*, assignment: Assignment, due_date: date) -> Assignment:
    assignment.due_date = due_date
    assignment.full_clean()
    assignment.save(update_fields=["due_date", "updated_at"])
    return assignment


@transaction.atomic
def assignment_delete(*, assignment: Assignment) -> None:
    course_id = assignment.course_id
    assignment.delete()
    Course.objects.filter(pk=course_id).update(updated_at=timezone.now())


@transaction.atomic
def assignments_delete(*, assignments: Iterable[Assignment]) -> int:
    count = 0
    for assignment in assignments:
        assignment_delete(assignment=assignment)
        count += 1
    return count
