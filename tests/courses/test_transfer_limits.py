"""Course import refuses deep or oversized manifests with a message, before building anything."""

import io
import json

import pytest

from courses.models import Course, Question
from courses.services import transfer
from courses.services.transfer import limits
from tests.accounts.factories import client_for
from tests.courses.archives import (
    assert_refused,
    deflated,
    import_,
    lesson_of,
    manifest_of,
    quiz_of,
    refusal,
)
from tests.courses.authoring import page

# Nesting ---------------------------------------------------------------------------------


def test_a_manifest_nested_100000_levels_deep_is_refused(hp_client, provinces, media):
    data = deflated("[" * 100_000 + "]" * 100_000)

    assert_refused(
        hp_client,
        data,
        provinces.hai_phong,
        media,
        f"course.json is nested more than {limits.MAX_DEPTH} levels deep.",
    )


def test_deep_nesting_inside_a_valid_manifest_is_refused(provinces, media):
    text = json.dumps(manifest_of())
    text = text[:-1] + ', "extra": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}"

    assert refusal(deflated(text), provinces.hai_phong) == [
        f"course.json is nested more than {limits.MAX_DEPTH} levels deep."
    ]


def test_brackets_and_escaped_quotes_inside_text_are_not_nesting(hp_client, provinces, media):
    description = 'Gõ \\ rồi " rồi ' + "[{" * 50 + ' "\\'
    data = deflated(manifest_of({"description": description}))

    response = import_(hp_client, data, provinces.hai_phong)

    assert response.status_code == 302, page(response)[:3000]
    assert Course.objects.get(slug="khoa-nhap").description == description


def test_an_unterminated_string_full_of_escaped_quotes_is_refused(provinces, media):
    text = '{"course": "' + '\\"[' * 300_000

    assert refusal(deflated(text), provinces.hai_phong) == ["course.json is not valid JSON."]


def test_a_depth_limit_set_too_high_still_answers_with_a_message(provinces, media, monkeypatch):
    monkeypatch.setattr(limits, "MAX_DEPTH", 1_000_000)

    problems = refusal(deflated("[" * 100_000 + "]" * 100_000), provinces.hai_phong)

    assert problems == ["course.json is nested too deeply to be read."]


# Counts ----------------------------------------------------------------------------------


def test_20000_lessons_in_a_small_zip_are_refused_before_any_is_built(
    hp_client, provinces, media, nothing_built
):
    modules = [
        {"title": f"Chương {m}", "lessons": [lesson_of(title=f"Bài {n}") for n in range(200)]}
        for m in range(100)
    ]
    data = deflated(manifest_of({"modules": modules}))
    assert len(data) < 50_000

    assert_refused(
        hp_client,
        data,
        provinces.hai_phong,
        media,
        f"The course has 20000 lessons; at most {limits.MAX_LESSONS} are allowed.",
    )


def test_the_refusal_is_shown_in_vietnamese(hp_author, provinces, media, nothing_built):
    client = client_for(hp_author)
    client.cookies["django_language"] = "vi"
    modules = [{"title": "Chương", "lessons": [lesson_of()] * 100} for _m in range(30)]

    assert_refused(
        client,
        deflated(manifest_of({"modules": modules})),
        provinces.hai_phong,
        media,
        f"Khóa học có 3000 bài học, vượt quá giới hạn {limits.MAX_LESSONS}.",
    )


@pytest.mark.parametrize(
    ("limit", "course", "message"),
    [
        (
            "MAX_MODULES",
            {"modules": [{"title": "Chương", "lessons": [lesson_of()]}] * 3},
            "The course has 3 modules; at most 2 are allowed.",
        ),
        (
            "MAX_LESSONS",
            {"modules": [{"title": "Chương", "lessons": [lesson_of()] * 2}] * 2},
            "The course has 4 lessons; at most 2 are allowed.",
        ),
        (
            "MAX_LESSONS_PER_MODULE",
            {"modules": [{"title": "Chương", "lessons": [lesson_of()]}, {"lessons": [{}] * 3}]},
            "Module 2 has 3 lessons; at most 2 are allowed.",
        ),
        (
            "MAX_QUESTIONS_PER_LESSON",
            {"modules": [{"title": "Chương", "lessons": [lesson_of(), quiz_of(3)]}]},
            "Module 1, lesson 2 has 3 questions; at most 2 are allowed.",
        ),
        (
            "MAX_QUESTIONS",
            {"modules": [{"title": "Chương", "lessons": [quiz_of(1), quiz_of(2)]}]},
            "The course has 3 questions; at most 2 are allowed.",
        ),
        (
            "MAX_CHOICES_PER_QUESTION",
            {"modules": [{"title": "Chương", "lessons": [quiz_of(1, choices=3)]}]},
            "Module 1, lesson 1, question 1 has 3 choices; at most 2 are allowed.",
        ),
    ],
)
def test_each_count_over_its_limit_is_named(
    provinces, media, monkeypatch, nothing_built, limit, course, message
):
    monkeypatch.setattr(limits, limit, 2)

    assert refusal(deflated(manifest_of(course)), provinces.hai_phong) == [message]


def test_every_exceeded_limit_of_a_level_is_reported_and_nothing_else(
    provinces, media, monkeypatch, nothing_built
):
    monkeypatch.setattr(limits, "MAX_QUESTIONS", 3)
    monkeypatch.setattr(limits, "MAX_QUESTIONS_PER_LESSON", 1)
    monkeypatch.setattr(limits, "ATTACHMENT_MAX_BYTES", 10)
    first = {**quiz_of(2), "pass_mark": 101}
    second = {**quiz_of(2), "attachment": "media/courses/a.pdf"}
    course = {"modules": [{"title": "Chương", "lessons": [first, second]}]}
    data = deflated(manifest_of(course), {"media/courses/a.pdf": b"%PDF-1.4" + bytes(12)})

    assert refusal(data, provinces.hai_phong) == [
        "The course has 4 questions; at most 3 are allowed.",
        "Module 1, lesson 1 has 2 questions; at most 1 are allowed.",
        "Module 1, lesson 2 has 2 questions; at most 1 are allowed.",
        "Module 1, lesson 2: the attachment “media/courses/a.pdf” is 20\xa0bytes, "
        "more than the limit of 10\xa0bytes.",
    ]


def test_a_level_over_its_limits_is_refused_without_looking_deeper(
    provinces, media, monkeypatch, nothing_built
):
    monkeypatch.setattr(limits, "MAX_MODULES", 1)
    monkeypatch.setattr(limits, "MAX_CHOICES_PER_QUESTION", 1)
    course = {"modules": [{"title": "Chương", "lessons": [quiz_of(1, choices=2)]}] * 2}

    assert refusal(deflated(manifest_of(course)), provinces.hai_phong) == [
        "The course has 2 modules; at most 1 are allowed."
    ]


def test_too_much_text_is_refused(provinces, media, monkeypatch, nothing_built):
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", 1000)
    manifest = manifest_of({"description": "a" * 5000})

    assert refusal(deflated(manifest), provinces.hai_phong) == [
        "The course text is 5.0\xa0KB, more than the limit of 1000\xa0bytes."
    ]


def test_a_course_at_the_limits_imports(provinces, media, monkeypatch):
    for limit in ("MAX_MODULES", "MAX_LESSONS", "MAX_QUESTIONS_PER_LESSON"):
        monkeypatch.setattr(limits, limit, 2)
    course = {
        "modules": [
            {"title": "Chương 1", "lessons": [lesson_of()]},
            {"title": "Chương 2", "lessons": [quiz_of(2)]},
        ]
    }

    imported = transfer.course_import(
        upload=io.BytesIO(deflated(manifest_of(course))), owner_unit=provinces.hai_phong
    )

    assert imported.lessons.count() == 2
    assert Question.objects.filter(lesson__course=imported).count() == 2
