"""The course, lesson and question forms of the admin: choices limited to the author's scope,
and the rules of a valid lesson and quiz."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from courses.models import (
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Question,
)
from tests.accounts.factories import client_for
from tests.courses.authoring import (
    changeform_data,
    course_add_data,
    lesson_data,
    page,
    question_data,
)
from tests.courses.factories import author_create

# Scope: choices ---------------------------------------------------------------------------


def test_an_empty_slug_is_made_from_the_vietnamese_title(hp_client, provinces):
    for _ in range(2):
        data = course_add_data(provinces.hp_ward, title="Chuyển đổi số cho cán bộ phường", slug="")
        assert hp_client.post(reverse("admin:courses_course_add"), data).status_code == 302
    slugs = set(Course.objects.values_list("slug", flat=True))
    assert slugs == {"chuyen-doi-so-cho-can-bo-phuong", "chuyen-doi-so-cho-can-bo-phuong-2"}


def test_author_creates_a_draft_course_in_their_unit(hp_client, provinces):
    response = hp_client.post(
        reverse("admin:courses_course_add"), course_add_data(provinces.hp_ward)
    )

    assert response.status_code == 302, page(response)[:3000]
    course = Course.objects.get(slug="ky-nang-so-can-bo")
    assert course.owner_unit == provinces.hp_ward
    assert course.audiences == ",official,"
    assert course.status == CourseStatus.DRAFT
    assert list(course.modules.values_list("title", "position")) == [("Chương mở đầu", 1)]


def test_an_out_of_scope_owner_unit_is_a_form_error(hp_client, provinces):
    response = hp_client.post(
        reverse("admin:courses_course_add"), course_add_data(provinces.ha_noi)
    )

    assert response.status_code == 200
    assert "owner_unit" in response.context["adminform"].form.errors
    assert not Course.objects.filter(slug="ky-nang-so-can-bo").exists()


def test_new_course_form_starts_at_the_authors_unit(hp_client, provinces):
    response = hp_client.get(reverse("admin:courses_course_add"))

    form = response.context["adminform"].form
    assert form.initial["owner_unit"] == provinces.hai_phong.pk
    assert set(form.fields["owner_unit"].queryset) == {provinces.hai_phong, provinces.hp_ward}


def test_only_the_nation_chooses_featured_courses(hp_client, provinces, hp_course):
    national = client_for(author_create(unit=provinces.nation, email="quantri.tw@example.com"))
    url = reverse("admin:courses_course_change", args=[hp_course.pk])

    assert "featured" not in hp_client.get(url).context["adminform"].form.fields
    assert "featured" in national.get(url).context["adminform"].form.fields


def test_unit_search_returns_only_units_in_scope(hp_client, provinces):
    response = hp_client.get(
        reverse("admin:courses_course_autocomplete"),
        {"app_label": "courses", "model_name": "course", "field_name": "owner_unit", "term": ""},
    )

    assert response.status_code == 200
    names = {item["text"] for item in response.json()["results"]}
    assert names == {"Thành phố Hải Phòng", "Phường Hồng Bàng"}


def test_module_search_shows_only_scoped_modules_with_their_course(hp_client, hp_course, hn_course):
    response = hp_client.get(
        reverse("admin:courses_course_autocomplete"),
        {"app_label": "courses", "model_name": "lesson", "field_name": "module", "term": "Chương"},
    )

    texts = {item["text"] for item in response.json()["results"]}
    assert texts == {f"{hp_course.title} › Chương 1", f"{hp_course.title} › Chương 2"}


def test_a_lesson_cannot_be_added_to_another_provinces_module(hp_client, hn_course):
    module = hn_course.modules.first()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, title="Bài chen ngang"),
    )

    assert response.status_code == 200
    assert "module" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(title="Bài chen ngang").exists()


# Authoring rules -------------------------------------------------------------------------


@pytest.mark.parametrize("pass_mark", [0, 101])
def test_pass_mark_must_be_between_1_and_100(hp_client, hp_course, pass_mark):
    module = hp_course.modules.last()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, kind=LessonKind.QUIZ, title="Kiểm tra", pass_mark=pass_mark),
    )

    assert response.status_code == 200
    assert "pass_mark" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(title="Kiểm tra").exists()


def test_a_new_lesson_goes_to_the_end_of_its_module_with_clean_html(hp_client, hp_course):
    module = hp_course.modules.first()

    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        lesson_data(module, body='<p onclick="x()">Chào</p><script>alert(1)</script>'),
    )

    assert response.status_code == 302, page(response)[:3000]
    lesson = Lesson.objects.get(title="Bài mới")
    assert lesson.body == "<p>Chào</p>"
    assert lesson.course == hp_course
    assert lesson.position == 3  # after "Bài 1.1" and "Bài 1.2"


def test_a_lesson_moves_only_between_modules_of_its_course(hp_client, hp_course, hn_course):
    lesson = hp_course.lessons.first()
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])

    queryset = hp_client.get(url).context["adminform"].form.fields["module"].queryset

    assert set(queryset) == set(hp_course.modules.all())


@pytest.mark.parametrize(
    ("kind", "choices", "error"),
    [
        ("single", [("A", False), ("B", False)], "Mark at least one choice as correct."),
        (
            "single",
            [("A", True), ("B", True)],
            "A single-choice question must have exactly one correct choice.",
        ),
        ("multiple", [("A", True)], "A question needs at least two choices."),
    ],
)
def test_a_question_needs_a_valid_answer_key(hp_client, hp_course, kind, choices, error):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)

    response = hp_client.post(
        reverse("admin:courses_question_add"), question_data(quiz, kind=kind, choices=choices)
    )

    assert response.status_code == 200
    formset_errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert error in formset_errors
    assert not Question.objects.filter(text="Câu hỏi mới?").exists()


def test_a_valid_question_is_added_at_the_end_of_its_quiz(hp_client, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)

    response = hp_client.post(
        reverse("admin:courses_question_add"),
        question_data(quiz, kind="multiple", choices=[("A", True), ("B", True), ("C", False)]),
    )

    assert response.status_code == 302, page(response)[:3000]
    question = Question.objects.get(text="Câu hỏi mới?")
    assert question.position == 3
    assert list(question.choices.values_list("text", "is_correct", "position")) == [
        ("A", True, 1),
        ("B", True, 2),
        ("C", False, 3),
    ]


def test_question_form_only_offers_quizzes_in_scope(hp_client, hp_course, hn_course):
    response = hp_client.get(reverse("admin:courses_question_add"))

    queryset = response.context["adminform"].form.fields["lesson"].queryset
    assert set(queryset) == {hp_course.lessons.get(kind=LessonKind.QUIZ)}


def test_the_last_question_of_a_live_quiz_cannot_be_deleted(provinces, hp_course):
    quiz = hp_course.lessons.get(kind=LessonKind.QUIZ)
    editor = author_create(unit=provinces.hai_phong, email="bientap@example.com")
    editor.user_permissions.add(Permission.objects.get(codename="delete_question"))
    client = client_for(editor)
    url = reverse("admin:courses_lesson_change", args=[quiz.pk])
    data = changeform_data(client.get(url))
    for index in range(quiz.questions.count()):
        data[f"questions-{index}-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "A quiz in a published course needs at least one question." in page(response)
    assert quiz.questions.count() == 2
