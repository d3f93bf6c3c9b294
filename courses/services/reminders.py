"""Deadline reminders for assigned courses: at most one email per learner per step."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from accounts.selectors import with_unit_path
from units.selectors import in_subtree

from ..models import Assignment, AssignmentReminder, CourseStatus, Enrollment

logger = logging.getLogger(__name__)

REMINDER_STEPS = (7, 1)  # days before the due date


def assignment_learners(*, assignment: Assignment):
    """Present members of the assignment's subtree and group: counted where they work, else
    where they live."""
    learners = in_subtree(
        with_unit_path(User.objects.filter(is_active=True)),
        root=assignment.unit,
        unit_path="unit_path",
    )
    if assignment.audience_group:
        learners = learners.filter(audience_group=assignment.audience_group)
    return learners


def assignment_reminders_send(*, today=None) -> int:
    """Email learners who have not completed an assigned course 7 days and 1 day before it is
    due. The reminder row is written before the email: a rerun never sends it twice."""
    today = today or timezone.localdate()
    sent = 0
    for days_before in REMINDER_STEPS:
        due = today + timedelta(days=days_before)
        assignments = Assignment.objects.filter(
            due_date=due, course__status=CourseStatus.PUBLISHED
        ).select_related("course", "unit")
        for assignment in assignments:
            completed = Enrollment.objects.filter(
                user=OuterRef("pk"), course=assignment.course, completed_at__isnull=False
            )
            already = AssignmentReminder.objects.filter(
                user=OuterRef("pk"), assignment=assignment, days_before=days_before
            )
            learners = (
                assignment_learners(assignment=assignment)
                .exclude(Exists(completed))
                .exclude(Exists(already))
            )
            for learner in learners.iterator(chunk_size=500):
                sent += _remind(assignment=assignment, learner=learner, days_before=days_before)
    return sent


def _remind(*, assignment: Assignment, learner: User, days_before: int) -> int:
    try:
        with transaction.atomic():
            AssignmentReminder.objects.create(
                assignment=assignment, user=learner, days_before=days_before
            )
    except IntegrityError:  # another run got here first
        return 0
    course_url = settings.SITE_URL + reverse("courses:course", args=[assignment.course.slug])
    context = {
        "learner": learner,
        "course": assignment.course,
        "due_date": assignment.due_date,
        "days_before": days_before,
        "course_url": course_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("courses/email/reminder_subject.txt", context).strip()
        body = render_to_string("courses/email/reminder_message.txt", context)
    try:
        send_mail(subject, body, None, [learner.email])
    except Exception:  # the row stays: "at most once" is the promise, a bounced mail is logged
        logger.exception("reminder email to user %s failed", learner.pk)
        return 0
    return 1
