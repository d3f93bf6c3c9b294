"""Publishing a course, however it is asked for, is checked; a course's page in the admin, its
copies and its preview."""

from django.urls import reverse

from courses.models import (
    Choice,
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Question,
)
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.authoring import (
    changeform_data,
    course_add_data,
    page,
    shown_messages,
    structure,
)
from tests.courses.factories import course_owned

# Publishing ------------------------------------------------------------------------------


def test_publish_action_refuses_a_course_without_lessons(hp_client, provinces):
    empty = Course.objects.create(
        title="Khóa rỗng",
        slug="khoa-rong",
        summary="-",
        competency_area="safety",
        owner_unit=provinces.hai_phong,
    )

    response = hp_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [empty.pk]},
        follow=True,
    )

    assert "“Khóa rỗng” was not published: Add at least one lesson before publishing." in (
        shown_messages(response)
    )
    empty.refresh_from_db()
    assert empty.status == CourseStatus.DRAFT
    assert empty.published_at is None


def test_publish_action_lists_every_problem(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    quiz = course.lessons.get(kind=LessonKind.QUIZ)
    Lesson.objects.create(
        module=quiz.module, course=course, title="Kiểm tra trống", kind=LessonKind.QUIZ
    )
    Choice.objects.filter(question__lesson=quiz).update(is_correct=False)

    response = hp_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [course.pk]},
        follow=True,
    )

    [message] = shown_messages(response)
    assert "The quiz “Kiểm tra trống” has no questions." in message
    assert "Mark at least one choice as correct." in message
    assert Course.objects.get(pk=course.pk).status == CourseStatus.DRAFT


def test_status_workflow_actions(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    url = reverse("admin:courses_course_changelist")
    before = course.updated_at

    response = hp_client.post(
        url, {"action": "publish_courses", "_selected_action": [course.pk]}, follow=True
    )
    course.refresh_from_db()
    assert "1 course published." in shown_messages(response)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    assert course.updated_at > before  # the statistics engine notices

    hp_client.post(url, {"action": "archive_courses", "_selected_action": [course.pk]})
    assert Course.objects.get(pk=course.pk).status == CourseStatus.ARCHIVED

    hp_client.post(url, {"action": "unpublish_courses", "_selected_action": [course.pk]})
    assert Course.objects.get(pk=course.pk).status == CourseStatus.DRAFT


def test_publishing_from_the_form_is_checked_too(hp_client, provinces):
    empty = Course.objects.create(
        title="Khóa rỗng",
        slug="khoa-rong",
        summary="-",
        competency_area="safety",
        owner_unit=provinces.hai_phong,
    )
    url = reverse("admin:courses_course_change", args=[empty.pk])
    data = changeform_data(hp_client.get(url))
    data["status"] = CourseStatus.PUBLISHED

    response = hp_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["status"]
    assert "Add at least one lesson before publishing." in errors
    assert Course.objects.get(pk=empty.pk).status == CourseStatus.DRAFT


def test_publishing_from_the_form_sets_published_at(hp_client, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = changeform_data(hp_client.get(url))
    data["status"] = CourseStatus.PUBLISHED

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    course.refresh_from_db()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None


def test_a_new_course_cannot_start_published(hp_client, provinces):
    data = course_add_data(provinces.hai_phong, status=CourseStatus.PUBLISHED)

    response = hp_client.post(reverse("admin:courses_course_add"), data)

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not Course.objects.filter(slug="ky-nang-so-can-bo").exists()


def test_module_positions_are_edited_inline(hp_client, hp_course):
    url = reverse("admin:courses_course_change", args=[hp_course.pk])
    response = hp_client.get(url)
    data = changeform_data(response)
    first, second = hp_course.modules.order_by("position")
    forms = response.context["inline_admin_formsets"][0].formset.forms
    index = {form.instance.pk: i for i, form in enumerate(forms) if form.instance.pk}
    data[f"modules-{index[first.pk]}-position"] = 5
    data[f"modules-{index[second.pk]}-position"] = 1

    response = hp_client.post(url, data)

    assert response.status_code == 302, page(response)[:3000]
    assert list(hp_course.modules.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_course_page_shows_outline_and_preview_button(hp_client, hp_course):
    response = hp_client.get(reverse("admin:courses_course_change", args=[hp_course.pk]))

    html = page(response)
    assert reverse("courses:preview_course", args=[hp_course.pk]) in html
    assert "Lessons by module" in html
    assert "Bài kiểm tra" in html
    assert reverse("admin:courses_lesson_add") + f"?module={hp_course.modules.first().pk}" in html


# Duplicate -------------------------------------------------------------------------------


def test_duplicate_makes_a_deep_draft_copy(hp_client, hp_course):
    Lesson.objects.filter(course=hp_course, title="Bài 1.1").update(
        kind=LessonKind.VIDEO, video_file="courses/videos/bai-1-1.mp4"
    )
    Course.objects.filter(pk=hp_course.pk).update(featured=True)
    url = reverse("admin:courses_course_changelist")

    response = hp_client.post(
        url, {"action": "duplicate_courses", "_selected_action": [hp_course.pk]}
    )
    copy = Course.objects.get(slug="an-toan-hp-ban-sao")
    assert response.status_code == 302
    assert response.url == reverse("admin:courses_course_change", args=[copy.pk])
    hp_client.post(url, {"action": "duplicate_courses", "_selected_action": [hp_course.pk]})
    hp_client.post(url, {"action": "duplicate_courses", "_selected_action": [copy.pk]})

    assert copy.title == "An toàn mạng Hải Phòng (copy)"
    assert copy.status == CourseStatus.DRAFT
    assert copy.published_at is None
    assert not copy.featured
    assert copy.owner_unit_id == hp_course.owner_unit_id
    assert structure(copy) == structure(hp_course)
    assert copy.lessons.get(title="Bài 1.1").video_file.name == "courses/videos/bai-1-1.mp4"
    assert set(Lesson.objects.filter(course=copy).values_list("module__course", flat=True)) == {
        copy.pk
    }
    assert Question.objects.filter(lesson__course=hp_course).count() == 2  # original untouched
    assert set(Course.objects.values_list("slug", flat=True)) == {
        "an-toan-hp",
        "an-toan-hp-ban-sao",
        "an-toan-hp-ban-sao-2",
        "an-toan-hp-ban-sao-3",
    }
    assert "an toan mang hai phong" in copy.search_text


# Preview ---------------------------------------------------------------------------------


def test_preview_shows_a_draft_without_enrolling_or_answers(hp_client, hp_author, provinces):
    course = course_owned(provinces.hai_phong, title="Nháp", slug="nhap", status="draft")
    Lesson.objects.filter(course=course, title="Bài 1.1").update(
        body='<p>Đọc kỹ</p><img src="x" onerror="alert(1)">'
    )

    response = hp_client.get(reverse("courses:preview_course", args=[course.pk]))
    assert response.status_code == 200
    html = page(response)
    assert "Preview — not published" in html
    assert "Bài 1.1" in html
    assert reverse("courses:enroll", args=[course.slug]) not in html

    reading = course.lessons.get(title="Bài 1.1")
    html = page(hp_client.get(reverse("courses:preview_lesson", args=[course.pk, reading.pk])))
    assert "<p>Đọc kỹ</p>" in html
    assert "onerror" not in html

    quiz = course.lessons.get(kind=LessonKind.QUIZ)
    response = hp_client.get(reverse("courses:preview_lesson", args=[course.pk, quiz.pk]))
    html = page(response)
    assert "Mã OTP có được chia sẻ không?" in html
    assert "Không bao giờ" in html
    assert "is-correct" not in html and "✓" not in html
    assert "Mật khẩu mạnh dài và khó đoán." not in html  # explanations reveal answers
    assert not hp_author.enrollments.exists()


def test_preview_is_for_staff_only(client, hp_course):
    url = reverse("courses:preview_course", args=[hp_course.pk])
    learner = UserFactory()

    anonymous = client.get(url)
    sign_in(client, learner)
    logged_in = client.get(url)

    assert anonymous.status_code == 302
    assert logged_in.status_code == 404


def test_preview_of_a_lesson_of_another_course_is_not_found(hp_client, hp_course, provinces):
    other = course_owned(provinces.hai_phong, title="Khác", slug="khac")
    lesson = other.lessons.first()

    response = hp_client.get(reverse("courses:preview_lesson", args=[hp_course.pk, lesson.pk]))

    assert response.status_code == 404
