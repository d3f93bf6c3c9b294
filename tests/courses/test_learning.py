"""The learner's journey through the real pages: enrol, lessons in order, quiz, certificate."""

import pytest
from django.urls import reverse

from courses.models import Certificate, Enrollment, LessonCompletion, QuizAttempt, StaleCell
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build, quiz_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(units):
    return course_build()


@pytest.fixture
def learner(units):
    return UserFactory(full_name="Nguyễn Thị Hồng Nhung")


def lessons_of(course):
    return list(course.lessons.order_by("module__position", "position"))


def lesson_url(course, lesson, action=""):
    name = {"": "courses:lesson", "complete": "courses:lesson_complete", "quiz": "courses:quiz"}
    return reverse(name[action], args=[course.slug, lesson.pk])


def quiz_post(answers, attempt):
    data = {"attempt": attempt}
    for question_id, choice_ids in answers.items():
        data[f"q_{question_id}"] = [str(c) for c in choice_ids]
    return data


def enrol(client, course):
    return client.post(reverse("courses:enroll", args=[course.slug]))


def test_enrolment_then_lessons_in_order_then_quiz_issues_one_certificate(client, course, learner):
    sign_in(client, learner)
    response = enrol(client, course)
    assert response.status_code == 302
    lessons = lessons_of(course)
    first, second, *readings, quiz = lessons

    # The second lesson stays locked until the first is complete.
    assert client.get(lesson_url(course, second)).status_code == 403
    assert client.post(lesson_url(course, second, "complete")).status_code == 403
    assert not LessonCompletion.objects.exists()

    response = client.post(lesson_url(course, first, "complete"))
    assert response.status_code == 302
    assert response["Location"] == lesson_url(course, second)
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.progress_percent == 20
    assert enrollment.started_at is not None
    assert enrollment.last_lesson == first

    for lesson in [second, *readings]:
        assert client.post(lesson_url(course, lesson, "complete")).status_code == 302
    # "Continue" resumes at the first lesson not yet done: the quiz.
    response = client.get(reverse("courses:resume", args=[course.slug]))
    assert response["Location"] == lesson_url(course, quiz)

    response = client.post(lesson_url(course, quiz, "quiz"), quiz_post(quiz_answers(quiz), 1))
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.full_name == "Nguyễn Thị Hồng Nhung"

    # Completing again changes nothing and issues no second certificate.
    assert client.post(lesson_url(course, first, "complete")).status_code == 302
    assert Certificate.objects.count() == 1
    assert LessonCompletion.objects.filter(enrollment=enrollment).count() == len(lessons)

    page = client.get(reverse("courses:my_learning")).content.decode()
    assert certificate.code in page


def test_every_change_leaves_a_stale_statistics_cell(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    assert StaleCell.objects.filter(course=course, unit=learner.home_unit).count() == 1
    client.post(lesson_url(course, lessons_of(course)[0], "complete"))
    assert StaleCell.objects.filter(course=course).count() == 2
    client.post(reverse("courses:leave", args=[course.slug]))
    assert StaleCell.objects.filter(course=course).count() == 3
    assert Enrollment.objects.get(user=learner).is_active is False


def test_leaving_and_coming_back_keeps_progress(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    first = lessons_of(course)[0]
    client.post(lesson_url(course, first, "complete"))
    client.post(reverse("courses:leave", args=[course.slug]))
    assert client.get(lesson_url(course, first)).status_code == 403
    enrol(client, course)
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.is_active and enrollment.progress_percent == 20
    assert Enrollment.objects.count() == 1


def test_not_enrolled_learner_is_refused_with_a_message(client, course, learner):
    sign_in(client, learner)
    first = lessons_of(course)[0]
    response = client.post(lesson_url(course, first, "complete"))
    assert response.status_code == 403
    assert "chưa ghi danh" in response.content.decode()
    assert not LessonCompletion.objects.exists()


def test_quiz_answers_never_reach_the_browser_before_submission(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        client.post(lesson_url(course, lesson, "complete"))
    quiz = lessons[-1]
    html = client.get(lesson_url(course, quiz)).content.decode()
    assert "Mã OTP có được chia sẻ không?" in html
    assert "is-correct" not in html
    assert "Mật khẩu mạnh dài và khó đoán." not in html  # explanations come after


def test_quiz_failed_then_passed_then_answers_shown(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        client.post(lesson_url(course, lesson, "complete"))
    quiz = lessons[-1]
    client.post(lesson_url(course, quiz, "quiz"), quiz_post(quiz_answers(quiz, correct=False), 1))
    attempt = QuizAttempt.objects.get()
    assert attempt.passed is False and attempt.score_percent == 0
    assert Enrollment.objects.get().completed_at is None

    client.post(lesson_url(course, quiz, "quiz"), quiz_post(quiz_answers(quiz), 2))
    assert QuizAttempt.objects.filter(passed=True).count() == 1
    html = client.get(lesson_url(course, quiz)).content.decode()
    assert "is-correct" in html and "Mật khẩu mạnh dài và khó đoán." in html


def test_quiz_attempt_limit_and_duplicate_attempts_are_refused(client, units, learner):
    course = course_build(max_attempts=1)
    sign_in(client, learner)
    enrol(client, course)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        client.post(lesson_url(course, lesson, "complete"))
    quiz = lessons[-1]
    wrong = quiz_post(quiz_answers(quiz, correct=False), 1)
    assert client.post(lesson_url(course, quiz, "quiz"), wrong).status_code == 302
    # The same submission again (double click, second tab) is not counted twice.
    response = client.post(lesson_url(course, quiz, "quiz"), wrong)
    assert response.status_code == 409
    response = client.post(lesson_url(course, quiz, "quiz"), quiz_post(quiz_answers(quiz), 2))
    assert response.status_code == 409
    assert "dùng hết số lần" in response.content.decode()
    assert QuizAttempt.objects.count() == 1
    # After the last attempt the learner sees the right answers.
    assert "is-correct" in client.get(lesson_url(course, quiz)).content.decode()


def test_quiz_choice_from_another_question_is_refused(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    lessons = lessons_of(course)
    for lesson in lessons[:-1]:
        client.post(lesson_url(course, lesson, "complete"))
    quiz = lessons[-1]
    first, second = quiz.questions.all()
    foreign = second.choices.first().pk
    data = {"attempt": 1, f"q_{first.pk}": str(foreign), f"q_{second.pk}": str(foreign)}
    response = client.post(lesson_url(course, quiz, "quiz"), data)
    assert response.status_code == 400
    assert "không thuộc câu hỏi" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_quiz_on_locked_lesson_is_refused(client, course, learner):
    sign_in(client, learner)
    enrol(client, course)
    quiz = lessons_of(course)[-1]
    response = client.post(lesson_url(course, quiz, "quiz"), quiz_post(quiz_answers(quiz), 1))
    assert response.status_code == 403
    assert not QuizAttempt.objects.exists()


def test_script_and_event_handlers_in_lesson_text_never_reach_the_page(client, course, learner):
    lesson = lessons_of(course)[0]
    lesson.body = (
        '<p onclick="steal()">Xin chào</p><script>alert(1)</script>'
        '<img src="x.png" onerror="alert(2)" alt="ảnh"><a href="javascript:alert(3)">liên kết</a>'
    )
    lesson.save()
    sign_in(client, learner)
    enrol(client, course)
    html = client.get(lesson_url(course, lesson)).content.decode()
    assert "Xin chào" in html
    for forbidden in ("<script>alert", "onclick", "onerror", "javascript:"):
        assert forbidden not in html


def test_catalogue_search_ignores_accents_and_filters(client, units):
    course_build(title="Kỹ năng số cơ bản", slug="ky-nang-so")
    course_build(title="Thanh toán điện tử", slug="thanh-toan")
    course_build(title="Khóa nháp", slug="nhap", status="draft")
    html = client.get(reverse("courses:catalogue"), {"q": "ky nang so"}).content.decode()
    assert "Kỹ năng số cơ bản" in html and "Thanh toán điện tử" not in html
    html = client.get(reverse("courses:catalogue")).content.decode()
    assert "Thanh toán điện tử" in html and "Khóa nháp" not in html
    html = client.get(reverse("courses:catalogue"), {"audience": "worker"}).content.decode()
    assert "Kỹ năng số cơ bản" not in html
    response = client.get(reverse("courses:catalogue"), {"level": "expert"})
    assert response.status_code == 400


def test_draft_course_and_other_course_lessons_are_404(client, units, learner):
    draft = course_build(title="Khóa nháp", slug="nhap", status="draft")
    other = course_build(title="Khóa khác", slug="khac")
    sign_in(client, learner)
    assert client.get(reverse("courses:course", args=[draft.slug])).status_code == 404
    assert enrol(client, draft).status_code == 404
    enrol(client, other)
    lesson_of_draft = lessons_of(draft)[0]
    assert client.get(lesson_url(other, lesson_of_draft)).status_code == 404


@pytest.mark.parametrize("modules,lessons", [(1, 2), (6, 8)])
def test_course_and_lesson_pages_cost_two_queries_whatever_the_size(
    client,
    units,
    learner,
    django_assert_num_queries,
    django_assert_max_num_queries,
    modules,
    lessons,
):
    """The user, and the learner's enrolment with its completions; the content comes from the
    cache. A GET writes nothing."""
    course = course_build(modules=modules, lessons_per_module=lessons)
    sign_in(client, learner)
    enrol(client, course)
    first, second, *_rest = lessons_of(course)
    client.post(lesson_url(course, first, "complete"))
    client.get(lesson_url(course, second))  # the content reaches the cache
    with django_assert_num_queries(2):
        assert client.get(reverse("courses:course", args=[course.slug])).status_code == 200
    with django_assert_num_queries(2) as lesson_page:
        assert client.get(lesson_url(course, second)).status_code == 200
    assert not any(
        q["sql"].startswith(("UPDATE", "INSERT", "DELETE")) for q in lesson_page.captured_queries
    )
    with django_assert_max_num_queries(15):
        assert client.post(lesson_url(course, second, "complete")).status_code == 302


def test_an_edited_lesson_is_shown_at_once(client, units, learner):
    course = course_build()
    sign_in(client, learner)
    enrol(client, course)
    first = lessons_of(course)[0]
    assert "Nội dung bài 1.1" in client.get(lesson_url(course, first)).content.decode()
    first.body = "<p>Nội dung đã sửa</p>"
    first.save()
    page = client.get(lesson_url(course, first)).content.decode()
    assert "Nội dung đã sửa" in page and "Nội dung bài 1.1" not in page


def test_an_unpublished_course_is_gone_at_once(client, units, learner):
    course = course_build()
    url = reverse("courses:course", args=[course.slug])
    assert client.get(url).status_code == 200
    course.status = "draft"
    course.save()
    assert client.get(url).status_code == 404


def test_lesson_page_without_video_weighs_under_150_kb(client, units, learner):
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    course = course_build()
    sign_in(client, learner)
    enrol(client, course)
    html = client.get(lesson_url(course, lessons_of(course)[0])).content
    total = len(html)
    for asset in re.findall(rb'(?:href|src)="/static/([^"]+)"', html):
        total += Path(finders.find(asset.decode())).stat().st_size
    assert total < 150 * 1024, total
