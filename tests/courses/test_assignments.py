"""Assigned courses: shown as required with their deadline, reminded once per step."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import AssignmentReminder
from courses.tasks import assignment_reminders_send
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build
from units.models import Unit


def assign(course, code, group="", days=10):
    return services.assignment_create(
        course=course,
        unit=Unit.objects.get(code=code),
        audience_group=group,
        due_date=timezone.localdate() + datetime.timedelta(days=days),
    )


@pytest.mark.django_db
def test_required_courses_appear_first_with_their_deadline(client, units):
    course = course_build(title="Kỹ năng số cho cán bộ", slug="ky-nang-so-can-bo")
    other = course_build(title="Khóa tự chọn", slug="tu-chon")
    official = UserFactory(home_unit=Unit.objects.get(code="11311"), audience_group="official")
    citizen = UserFactory(home_unit=Unit.objects.get(code="11311"), audience_group="citizen")
    elsewhere = UserFactory(home_unit=Unit.objects.get(code="00004"), audience_group="official")
    assignment = assign(course, "31", "official", days=30)
    services.enrollment_create(user=official, course=other)

    sign_in(client, official)
    html = client.get(reverse("courses:my_learning")).content.decode()
    required_at = html.index("Kỹ năng số cho cán bộ")
    assert required_at < html.index("Khóa tự chọn")
    assert assignment.due_date.strftime("%d/%m/%Y") in html
    assert "Bắt buộc" in html or "Required" in html

    for learner in (citizen, elsewhere):
        sign_in(client, learner)
        assert (
            "Kỹ năng số cho cán bộ"
            not in client.get(reverse("courses:my_learning")).content.decode()
        )

    # A future member of the subtree and group is assigned as well.
    newcomer = UserFactory(home_unit=Unit.objects.get(code="11560"), audience_group="official")
    sign_in(client, newcomer)
    assert "Kỹ năng số cho cán bộ" in client.get(reverse("courses:my_learning")).content.decode()


@pytest.mark.celery
def test_reminders_go_once_per_learner_and_step_through_the_worker(celery_worker, units_tx):
    course = course_build(title="An toàn số", slug="an-toan-so")
    done = UserFactory(home_unit=Unit.objects.get(code="11311"), email="done@example.com")
    pending = UserFactory(home_unit=Unit.objects.get(code="11311"), email="pending@example.com")
    UserFactory(home_unit=Unit.objects.get(code="00004"), email="hanoi@example.com")
    assign(course, "31", days=7)
    services.enrollment_create(user=done, course=course)
    enrollment = done.enrollments.get()
    enrollment.completed_at = timezone.now()
    enrollment.save()
    mail.outbox.clear()

    assert assignment_reminders_send.delay().get(timeout=30) == 1
    assert assignment_reminders_send.delay().get(timeout=30) == 0
    assert [m.to for m in mail.outbox] == [["pending@example.com"]]
    assert "An toàn số" in mail.outbox[0].subject
    assert AssignmentReminder.objects.filter(user=pending, days_before=7).count() == 1
