"""Assigning courses to units through the admin, and the author's add and change pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import (
    Assignment,
    Course,
    Lesson,
    LessonKind,
    Module,
)
from courses.services import assignments
from tests.courses.authoring import assignment_data, changeform_data, changelist_ids, page
from tests.courses.factories import course_owned

# Assignments -----------------------------------------------------------------------------


def test_assigning_two_courses_creates_two_assignments(hp_client, hp_author, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    url = reverse("admin:courses_assignment_add")
    assert hp_client.get(url).status_code == 200

    response = hp_client.post(
        url, assignment_data([hp_course, second], provinces.hp_ward, audience_group="official")
    )

    assert response.status_code == 302, page(response)[:3000]
    assignments = Assignment.objects.order_by("course__title")
    assert [(a.course, a.unit, a.audience_group, a.created_by) for a in assignments] == [
        (hp_course, provinces.hp_ward, "official", hp_author),
        (second, provinces.hp_ward, "official", hp_author),
    ]
    listing = page(hp_client.get(reverse("admin:courses_assignment_changelist")))
    assert "Phường Hồng Bàng" in listing and "Officials and public employees" in listing


def test_assigning_a_course_twice_is_a_form_error(hp_client, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    url = reverse("admin:courses_assignment_add")
    hp_client.post(url, assignment_data([hp_course], provinces.hai_phong))

    response = hp_client.post(url, assignment_data([hp_course, second], provinces.hai_phong))

    assert response.status_code == 400
    assert "Already assigned to this unit and audience group: An toàn mạng Hải Phòng." in page(
        response
    )
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("field", ["courses", "unit"])
def test_assignment_choices_are_scoped(hp_client, provinces, hp_course, hn_course, field):
    data = assignment_data([hp_course], provinces.hai_phong)
    if field == "courses":  # another province's unpublished course
        hn_draft = course_owned(provinces.ha_noi, title="HN nháp", slug="hn-nhap", status="draft")
        data["courses"] = [hn_draft.pk]
    else:
        data["unit"] = provinces.ha_noi.pk

    response = hp_client.post(reverse("admin:courses_assignment_add"), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_a_province_assigns_a_published_national_course_to_its_units(hp_client, provinces):
    national = course_owned(provinces.nation, title="Kỹ năng số cơ bản", slug="ky-nang-so")
    response = hp_client.post(
        reverse("admin:courses_assignment_add"), assignment_data([national], provinces.hai_phong)
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.course, assignment.unit) == (national, provinces.hai_phong)
    assert changelist_ids(hp_client, "assignment") == {assignment.pk}


def test_a_due_date_in_the_past_is_refused(hp_client, provinces, hp_course):
    data = assignment_data([hp_course], provinces.hai_phong, due_date="2020-01-01")

    response = hp_client.post(reverse("admin:courses_assignment_add"), data)

    assert "due_date" in response.context["form"].errors


def test_changing_an_assignment_changes_only_its_due_date(hp_client, provinces, hp_course):
    assignment = Assignment.objects.create(
        course=hp_course, unit=provinces.hai_phong, due_date=datetime.date(2030, 1, 1)
    )
    url = reverse("admin:courses_assignment_change", args=[assignment.pk])

    response = hp_client.post(url, {"due_date": "2030-06-30", "unit": provinces.ha_noi.pk})

    assert response.status_code == 302, page(response)[:3000]
    assignment.refresh_from_db()
    assert assignment.due_date == datetime.date(2030, 6, 30)
    assert assignment.unit == provinces.hai_phong


def test_deleting_assignments_touches_their_courses(superuser_client, provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    due = datetime.date(2030, 1, 1)
    one = Assignment.objects.create(course=hp_course, unit=provinces.hai_phong, due_date=due)
    two = Assignment.objects.create(course=second, unit=provinces.hai_phong, due_date=due)
    three = Assignment.objects.create(course=second, unit=provinces.hp_ward, due_date=due)
    Course.objects.update(updated_at=timezone.now() - datetime.timedelta(days=1))
    a_day_ago = Course.objects.get(pk=hp_course.pk).updated_at

    response = superuser_client.post(
        reverse("admin:courses_assignment_delete", args=[one.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert Course.objects.get(pk=hp_course.pk).updated_at > a_day_ago
    assert Course.objects.get(pk=second.pk).updated_at == a_day_ago

    superuser_client.post(
        reverse("admin:courses_assignment_changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )
    assert not Assignment.objects.exists()
    assert Course.objects.get(pk=second.pk).updated_at > a_day_ago


def test_assignments_create_is_all_or_nothing(provinces, hp_course):
    second = course_owned(provinces.hai_phong, title="Thanh toán số", slug="thanh-toan-so")
    due = datetime.date(2030, 1, 1)
    Assignment.objects.create(course=second, unit=provinces.hai_phong, due_date=due)

    with pytest.raises(assignments.ValidationError):
        assignments.assignments_create(
            courses=[hp_course, second], unit=provinces.hai_phong, audience_group="", due_date=due
        )

    assert Assignment.objects.count() == 1


# Pages open ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "admin:courses_course_add",
        "admin:courses_course_import",
        "admin:courses_module_add",
        "admin:courses_lesson_add",
        "admin:courses_question_add",
        "admin:courses_assignment_add",
        "admin:index",
    ],
)
def test_author_pages_open(hp_client, hp_course, name):
    assert hp_client.get(reverse(name)).status_code == 200


def test_change_pages_open_with_parent_links(hp_client, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)
    question = quiz.questions.first()
    module = quiz.module

    module_page = page(hp_client.get(reverse("admin:courses_module_change", args=[module.pk])))
    quiz_page = page(hp_client.get(reverse("admin:courses_lesson_change", args=[quiz.pk])))
    question_page = page(
        hp_client.get(reverse("admin:courses_question_change", args=[question.pk]))
    )

    assert reverse("admin:courses_course_change", args=[hp_course.pk]) in module_page
    assert "1 choice, 1 correct" not in quiz_page and "2 choices, 1 correct" in quiz_page
    assert reverse("admin:courses_question_add") + f"?lesson={quiz.pk}" in quiz_page
    assert reverse("courses:preview_lesson", args=[hp_course.pk, quiz.pk]) in question_page


def test_lessons_added_on_the_module_page_belong_to_its_course(hp_client, hp_course):
    module = hp_course.modules.first()
    url = reverse("admin:courses_module_change", args=[module.pk])
    data = changeform_data(hp_client.get(url))
    index = int(data["lessons-TOTAL_FORMS"]) - 1  # the blank extra row
    data[f"lessons-{index}-title"] = "Bài thêm"
    data[f"lessons-{index}-kind"] = LessonKind.READING

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    lesson = Lesson.objects.get(title="Bài thêm")
    assert (lesson.course, lesson.module, lesson.position) == (hp_course, module, 3)
    assert Module.objects.get(pk=module.pk).course == hp_course
