import warnings

import pytest
from django.core.paginator import UnorderedObjectListWarning
from django.urls import reverse

from accounts.models import User
from courses.models import Certificate, Lesson, LessonKind, StaleCell
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import certificate_earn, course_create


@pytest.fixture
def superuser_client(client, units):
    superuser = User.objects.create_superuser(
        email="quan-tri@example.com", password="x", full_name="Quản trị viên"
    )
    sign_in(client, superuser)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def course(units):
    return course_create()


@pytest.fixture
def certificates(course):
    return [certificate_earn(user=UserFactory(), course=course) for _ in range(2)]


def test_revoke_action_revokes_the_selected_certificates(superuser_client, certificates):
    chosen, untouched = certificates
    stale_before = StaleCell.objects.count()

    response = superuser_client.post(
        reverse("admin:courses_certificate_changelist"),
        {"action": "revoke_certificates", "_selected_action": [chosen.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 certificate revoked." in response.content.decode()
    chosen.refresh_from_db()
    untouched.refresh_from_db()
    assert chosen.revoked_at is not None
    assert chosen.revoked_reason == "Revoked by an administrator"
    assert untouched.revoked_at is None
    assert StaleCell.objects.count() == stale_before + 1  # the reports learn of it


def test_revoke_action_counts_only_newly_revoked(superuser_client, certificates):
    url = reverse("admin:courses_certificate_changelist")
    pks = [c.pk for c in certificates]
    superuser_client.post(url, {"action": "revoke_certificates", "_selected_action": pks[:1]})
    first_revoked_at = Certificate.objects.get(pk=pks[0]).revoked_at

    response = superuser_client.post(
        url, {"action": "revoke_certificates", "_selected_action": pks}, follow=True
    )

    assert "1 certificate revoked." in response.content.decode()
    assert Certificate.objects.get(pk=pks[0]).revoked_at == first_revoked_at
    assert Certificate.objects.filter(revoked_at__isnull=False).count() == 2


def test_certificates_cannot_be_added_or_deleted(superuser_client, certificates):
    certificate = certificates[0]

    add = superuser_client.get(reverse("admin:courses_certificate_add"))
    delete = superuser_client.get(
        reverse("admin:courses_certificate_delete", args=[certificate.pk])
    )

    assert add.status_code == 403
    assert delete.status_code == 403


def test_enrolments_are_read_only(superuser_client, certificates):
    enrollment = certificates[0].enrollment
    url = reverse("admin:courses_enrollment_change", args=[enrollment.pk])

    superuser_client.post(url, {"progress_percent": 5, "is_active": ""})

    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 100
    assert enrollment.is_active


@pytest.mark.parametrize(
    "model", ["course", "module", "lesson", "question", "enrollment", "certificate"]
)
def test_changelists_and_forms_open(superuser_client, certificates, model):
    changelist = superuser_client.get(reverse(f"admin:courses_{model}_changelist"), {"q": "a"})

    assert changelist.status_code == 200
    if model not in {"enrollment", "certificate"}:
        assert superuser_client.get(reverse(f"admin:courses_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", ["enrollment", "certificate"])
def test_changelist_queries_do_not_grow_with_rows(
    superuser_client, course, model, django_assert_max_num_queries
):
    url = reverse(f"admin:courses_{model}_changelist")
    certificate_earn(user=UserFactory(), course=course)
    superuser_client.get(url)  # warm up session and content types
    with django_assert_max_num_queries(20) as few:
        superuser_client.get(url)
    for _ in range(5):
        certificate_earn(user=UserFactory(), course=course)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(url)

    assert response.status_code == 200


def test_lesson_body_is_sanitised_and_course_follows_the_module(superuser_client, course):
    module = course.modules.get()

    response = superuser_client.post(
        reverse("admin:courses_lesson_add"),
        {
            "module": module.pk,
            "title": "Bài mới",
            "kind": LessonKind.READING,
            "position": 3,
            "estimated_minutes": 5,
            "body": '<p onclick="x()">Xin chào</p><script>alert(1)</script>',
            "video_url": "",
            "transcript": "",
            "pass_mark": 80,
            "max_attempts": 3,
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
            "questions-MIN_NUM_FORMS": 0,
            "questions-MAX_NUM_FORMS": 1000,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = Lesson.objects.get(title="Bài mới")
    assert lesson.body == "<p>Xin chào</p>"
    assert lesson.course == course
    course.refresh_from_db()
    assert "bai moi" in course.search_text


@pytest.mark.parametrize("view", ["admin:autocomplete", "admin:courses_course_autocomplete"])
@pytest.mark.parametrize(
    ("model_name", "field_name"), [("assignment", "course"), ("certificate", "enrollment")]
)
def test_search_as_you_type_pages_through_an_ordered_list(
    superuser_client, certificates, view, model_name, field_name
):
    query = {"app_label": "courses", "model_name": model_name, "field_name": field_name}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        response = superuser_client.get(reverse(view), {**query, "term": ""})

    assert response.status_code == 200
