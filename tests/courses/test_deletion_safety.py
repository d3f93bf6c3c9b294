"""Deleting never destroys learning data: a course or lesson with records is refused by the
database and the admin says to archive instead; removing a lesson nobody finished recomputes
progress (the last one gone completes the course); a learner's erasure anonymises the person
and keeps every count; the statistics follow each of these within the usual run."""

import pytest
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from courses import services
from courses.models import Certificate, Course, Enrollment, Lesson, LessonCompletion
from reports.models import ALL_COURSES, ALL_GROUPS, UnitStat
from reports.stats import stats_full_rebuild, stats_incremental
from tests.accounts.factories import PASSWORD, UserFactory, sign_in
from tests.courses.factories import course_build
from tests.reports.recount import recount, stored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact_watermarks(settings):
    settings.STATS_WATERMARK_MARGIN_S = 0


@pytest.fixture
def superuser_client(units):
    superuser = User.objects.create_superuser(
        email="quantri@example.com", password="x", full_name="Quản trị"
    )
    client = Client()
    sign_in(client, superuser)
    return client


def reading_course(lessons: int = 3) -> Course:
    return course_build(
        title="Thanh toán an toàn", modules=1, lessons_per_module=lessons, quiz=False
    )


def ordered(course) -> list[Lesson]:
    return list(course.lessons.order_by("position"))


def test_a_course_with_enrolments_cannot_be_deleted(units):
    course = reading_course()
    learner = UserFactory()
    services.enrollment_create(user=learner, course=course)
    services.lesson_complete(user=learner, lesson=ordered(course)[0])

    with pytest.raises(ProtectedError):
        Course.objects.get(pk=course.pk).delete()

    assert Course.objects.filter(pk=course.pk).exists()
    assert Lesson.objects.filter(course=course).count() == 3
    assert LessonCompletion.objects.filter(enrollment__course=course).count() == 1


def test_a_lesson_with_records_is_refused_and_the_admin_says_to_archive(superuser_client):
    course = reading_course()
    learner = UserFactory()
    services.enrollment_create(user=learner, course=course)
    first = ordered(course)[0]
    services.lesson_complete(user=learner, lesson=first)

    url = reverse("admin:courses_lesson_delete", args=[first.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert "lưu trữ" in page.content.decode()  # archive, in Vietnamese
    response = superuser_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the same explanation, nothing deleted
    assert Lesson.objects.filter(pk=first.pk).exists()
    with pytest.raises(ProtectedError):
        Lesson.objects.get(pk=first.pk).delete()


def test_removing_the_last_lesson_completes_those_who_did_the_rest(superuser_client):
    course = reading_course()
    first, second, third = ordered(course)
    done, halfway = UserFactory(), UserFactory()
    for learner in (done, halfway):
        services.enrollment_create(user=learner, course=course)
    services.lesson_complete(user=done, lesson=first)
    services.lesson_complete(user=done, lesson=second)
    services.lesson_complete(user=halfway, lesson=first)
    assert Enrollment.objects.get(user=done).progress_percent == 66

    response = superuser_client.post(
        reverse("admin:courses_lesson_delete", args=[third.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    finished = Enrollment.objects.get(user=done)
    assert (finished.progress_percent, finished.certified) == (100, True)
    assert finished.completed_at is not None
    assert Certificate.objects.filter(enrollment=finished).count() == 1
    assert Enrollment.objects.get(user=halfway).progress_percent == 50
    assert not Certificate.objects.filter(enrollment__user=halfway).exists()


def test_the_figures_follow_a_removed_lesson_and_an_archive(units):
    course = reading_course()
    first, second, third = ordered(course)
    learner = UserFactory()
    services.enrollment_create(user=learner, course=course)
    services.lesson_complete(user=learner, lesson=first)
    services.lesson_complete(user=learner, lesson=second)
    stats_full_rebuild()

    third.delete()
    services.course_progress_refresh(course=course)
    stats_incremental()
    cell = UnitStat.objects.get(
        unit=learner.home_unit, course_key=course.pk, audience_group=ALL_GROUPS
    )
    assert cell.completed == 1
    assert stored() == recount()

    from courses.services import authoring

    authoring.course_archive(course=course)
    stats_incremental()
    assert stored() == recount()


def test_a_learner_erases_their_account_and_the_counts_stay(client, units):
    course = reading_course(lessons=1)
    learner = UserFactory(full_name="Nguyễn Thị Xoá", phone="0912345678")
    services.enrollment_create(user=learner, course=course)
    services.lesson_complete(user=learner, lesson=ordered(course)[0])
    certificate = Certificate.objects.get(enrollment__user=learner)
    stats_full_rebuild()
    before = UnitStat.objects.get(
        unit=learner.home_unit, course_key=ALL_COURSES, audience_group=ALL_GROUPS
    ).counts()

    client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    wrong = client.post(reverse("accounts_erase"), {"password": "sai"})
    assert wrong.status_code == 400
    assert User.objects.get(pk=learner.pk).full_name == "Nguyễn Thị Xoá"
    response = client.post(reverse("accounts_erase"), {"password": PASSWORD})
    assert response.status_code == 302

    erased = User.objects.get(pk=learner.pk)
    assert erased.full_name == "Người học đã xóa tài khoản"
    assert "Xoá" not in erased.email and erased.phone == "" and not erased.is_active
    assert not erased.has_usable_password()
    assert client.get(reverse("courses:my_learning")).status_code == 302  # logged out
    assert Enrollment.objects.get(user=learner).completed_at is not None
    verify = client.get(reverse("courses:verify", args=[certificate.code])).content.decode()
    assert "Nguyễn Thị Xoá" not in verify and "Người học đã xóa tài khoản" in verify

    stats_incremental()
    after = UnitStat.objects.get(
        unit=learner.home_unit, course_key=ALL_COURSES, audience_group=ALL_GROUPS
    ).counts()
    registered_before, *learning_before = before
    registered_after, *learning_after = after
    assert learning_after == learning_before  # enrolled, started, completed, certified…
    assert registered_after == registered_before - 1
    assert stored() == recount()


def test_accounts_are_erased_not_deleted_in_the_admin(superuser_client):
    learner = UserFactory(full_name="Trần Văn Xoá")
    course = reading_course(lessons=1)
    services.enrollment_create(user=learner, course=course)
    response = superuser_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "erase_personal_data", "_selected_action": [learner.pk]},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=learner.pk).full_name == "Người học đã xóa tài khoản"
    assert Enrollment.objects.filter(user=learner).exists()
    delete = superuser_client.get(reverse("admin:accounts_user_delete", args=[learner.pk]))
    assert delete.status_code == 403
