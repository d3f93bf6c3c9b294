"""Content administrators author within their unit's subtree: the role groups, the admin's lists,
and another province's courses and content, which do not exist for them."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, UnitRole
from courses.models import (
    Assignment,
    Course,
    CourseStatus,
    Question,
)
from courses.permissions import (
    CONTENT_ADMINS_GROUP,
    OFFICIALS_GROUP,
    content_courses,
)
from courses.services.roles import roles_setup
from tests.accounts.factories import UserFactory, client_for
from tests.courses.authoring import changeform_data, changelist_ids
from tests.courses.factories import author_create, certificate_earn, course_owned

# Roles -----------------------------------------------------------------------------------


def test_setup_roles_is_idempotent_and_enrols_role_holders(provinces, capsys):
    author = UserFactory(email="quantri@example.com", is_staff=True)
    UnitRole.objects.create(user=author, role=Role.CONTENT_ADMIN, unit=provinces.hai_phong)
    official = UserFactory(email="canbo@example.com")
    UnitRole.objects.create(user=official, role=Role.OFFICIAL, unit=provinces.hai_phong)

    call_command("setup_roles")
    call_command("setup_roles")

    authors = Group.objects.get(name=CONTENT_ADMINS_GROUP)
    codes = set(authors.permissions.values_list("content_type__app_label", "codename"))
    assert ("courses", "change_course") in codes
    assert ("courses", "add_assignment") in codes
    assert ("courses", "view_certificate") in codes
    assert ("courses", "change_certificate") not in codes
    assert ("courses", "delete_course") not in codes
    assert ("accounts", "change_user") in codes
    assert ("units", "view_unit") in codes
    assert len(codes) == 18 + 3 + 2 + 3 + 1
    assert list(authors.user_set.all()) == [author]
    assert list(Group.objects.get(name=OFFICIALS_GROUP).user_set.all()) == [official]
    assert Group.objects.filter(name__in=[CONTENT_ADMINS_GROUP, OFFICIALS_GROUP]).count() == 2
    assert "Quản trị nội dung: 27 permissions, 1 members" in capsys.readouterr().out


def test_non_staff_role_holder_is_not_an_author(provinces):
    learner = UserFactory()
    UnitRole.objects.create(user=learner, role=Role.CONTENT_ADMIN, unit=provinces.hai_phong)
    course_owned(provinces.hai_phong, title="Khóa", slug="khoa")

    assert not content_courses(user=learner).exists()


# Scope: lists ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["course", "module", "lesson", "question"])
def test_each_author_sees_only_their_provinces_content(
    hp_client, hn_client, hp_course, hn_course, model
):
    rows = {
        "course": lambda c: {c.pk},
        "module": lambda c: set(c.modules.values_list("pk", flat=True)),
        "lesson": lambda c: set(c.lessons.values_list("pk", flat=True)),
        "question": lambda c: set(
            Question.objects.filter(lesson__course=c).values_list("pk", flat=True)
        ),
    }[model]

    assert changelist_ids(hp_client, model) == rows(hp_course)
    assert changelist_ids(hn_client, model) == rows(hn_course)


def test_enrolments_certificates_and_assignments_are_scoped_too(hp_client, hn_client, provinces):
    simple = {"quiz": False, "modules": 1}
    hp_course = course_owned(provinces.hai_phong, title="HP", slug="hp", **simple)
    hn_course = course_owned(provinces.ha_noi, title="HN", slug="hn", **simple)
    hp_certificate = certificate_earn(user=UserFactory(), course=hp_course)
    hn_certificate = certificate_earn(user=UserFactory(), course=hn_course)
    due = timezone.localdate() + datetime.timedelta(days=30)
    hp_assignment = Assignment.objects.create(
        course=hp_course, unit=provinces.hai_phong, due_date=due
    )
    hn_assignment = Assignment.objects.create(course=hn_course, unit=provinces.ha_noi, due_date=due)

    assert changelist_ids(hp_client, "enrollment") == {hp_certificate.enrollment_id}
    assert changelist_ids(hp_client, "certificate") == {hp_certificate.pk}
    assert changelist_ids(hp_client, "assignment") == {hp_assignment.pk}
    assert changelist_ids(hn_client, "certificate") == {hn_certificate.pk}
    assert changelist_ids(hn_client, "assignment") == {hn_assignment.pk}


def test_national_author_and_superuser_see_every_course(
    provinces, hp_course, hn_course, superuser_client
):
    national = client_for(author_create(unit=provinces.nation, email="quantri.tw@example.com"))

    assert changelist_ids(national, "course") == {hp_course.pk, hn_course.pk}
    assert changelist_ids(superuser_client, "course") == {hp_course.pk, hn_course.pk}


def test_staff_without_a_content_role_sees_no_course(provinces, hp_course):
    staff = UserFactory(email="nhanvien@example.com", is_staff=True)
    staff.groups.add(roles_setup()[CONTENT_ADMINS_GROUP])

    assert changelist_ids(client_for(staff), "course") == set()


# Scope: another province's objects -------------------------------------------------------


def test_another_provinces_course_page_does_not_exist(hp_client, hn_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    assert hp_client.get(url).status_code == 200

    response = hn_client.get(url)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_posting_to_another_provinces_course_changes_nothing(hp_client, hn_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    data = changeform_data(hp_client.get(url))
    data["title"] = "Bị sửa trái phép"
    before = Course.objects.filter(pk=hp_course.pk).values().get()

    response = hn_client.post(url, data)

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert Course.objects.filter(pk=hp_course.pk).values().get() == before
    assert hp_course.modules.count() == 2


def test_deleting_another_provinces_course_deletes_nothing(hn_author, hn_client, hp_course):
    url = reverse("admin:courses_course_delete", args=[hp_course.pk])
    assert hn_client.post(url, {"post": "yes"}).status_code == 403  # the role cannot delete

    hn_author.user_permissions.add(Permission.objects.get(codename="delete_course"))
    response = client_for(hn_author).post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert Course.objects.filter(pk=hp_course.pk).exists()


@pytest.mark.parametrize("model", ["module", "lesson", "question"])
def test_another_provinces_content_pages_do_not_exist(hn_client, hp_course, model):
    obj = {
        "module": hp_course.modules.first,
        "lesson": hp_course.lessons.first,
        "question": Question.objects.filter(lesson__course=hp_course).first,
    }[model]()
    url = reverse(f"admin:courses_{model}_change", args=[obj.pk])
    rows = type(obj).objects.filter(pk=obj.pk)
    before = rows.values().get()

    get = hn_client.get(url)
    post = hn_client.post(url, {"title": "x", "text": "x"})

    assert get.status_code == post.status_code == 302
    assert get.url == reverse("admin:index")
    assert rows.values().get() == before


def test_actions_ignore_another_provinces_course(hn_client, hp_course):
    Course.objects.filter(pk=hp_course.pk).update(status=CourseStatus.DRAFT)

    hn_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "archive_courses", "_selected_action": [hp_course.pk]},
    )

    hp_course.refresh_from_db()
    assert hp_course.status == CourseStatus.DRAFT


def test_preview_of_another_province_is_not_found(hn_client, hp_course):
    lesson = hp_course.lessons.first()

    assert hn_client.get(reverse("courses:preview_course", args=[hp_course.pk])).status_code == 404
    assert (
        hn_client.get(reverse("courses:preview_lesson", args=[hp_course.pk, lesson.pk])).status_code
        == 404
    )
