"""Course import refuses deep, oversized or hostile archives with a message, before building."""

import io
import json
import re
import unicodedata
import zipfile

import pytest
from django.utils import translation
from PIL import Image

from courses.models import Choice, Course, Lesson, Module, Question
from courses.services import transfer
from courses.services.transfer import limits
from tests.courses import test_transfer as transfer_tests
from tests.courses.test_authoring import client_for, page
from tests.courses.test_transfer import import_, manifest_of, png_bytes, stored_files

# Fixtures shared with the transfer and authoring tests.
provinces = transfer_tests.provinces
hp_author = transfer_tests.hp_author
hp_client = transfer_tests.hp_client
media = transfer_tests.media


def deflated(manifest: dict | str, members: dict[str, bytes] | None = None) -> bytes:
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("course.json", text)
        for name, content in (members or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def rows() -> tuple[int, int, int]:
    return Course.objects.count(), Module.objects.count(), Lesson.objects.count()


def assert_refused(client, data, unit, media, *messages) -> None:
    before = rows()

    response = import_(client, data, unit)

    assert response.status_code == 400, page(response)[:3000]
    for message in messages:
        assert message in page(response)
    assert rows() == before
    assert stored_files(media) == []


def refusal(data: bytes, unit) -> list[str]:
    with translation.override("en"), pytest.raises(transfer.TransferError) as refused:
        transfer.course_import(upload=io.BytesIO(data), owner_unit=unit)
    return refused.value.problems


@pytest.fixture
def nothing_built(monkeypatch):
    """Cleaning any model object fails the test: the archive must be refused before that."""

    def built(instance, *args, **kwargs):
        raise AssertionError(
            f"a {type(instance).__name__} was built before the limits were checked"
        )

    for model in (Course, Module, Lesson, Question, Choice):
        monkeypatch.setattr(model, "full_clean", built)


def lesson_of(**fields) -> dict:
    return {"title": "Bài", "kind": "reading", **fields}


def quiz_of(questions: int, choices: int = 2) -> dict:
    return lesson_of(
        kind="quiz",
        questions=[
            {
                "text": f"Câu {q}",
                "choices": [{"text": f"Ý {c}", "is_correct": c == 0} for c in range(choices)],
            }
            for q in range(questions)
        ],
    )


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


# Media sizes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gigabyte_of_zeros() -> bytes:
    """A zip of about 1 MB holding one member that unpacks to 1 GiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("media/courses/zeros.png", "w", force_zip64=True) as member:
            for _n in range(1024):
                member.write(bytes(2**20))
    return buffer.getvalue()


def with_manifest(base: bytes, manifest: dict) -> bytes:
    buffer = io.BytesIO(base)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("course.json", json.dumps(manifest))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "attachment",
            "Module 1, lesson 1: the attachment “media/courses/zeros.png” is 1.0\xa0GB, "
            "more than the limit of 50.0\xa0MB.",
        ),
        (
            "cover_image",
            "Course: the cover image “media/courses/zeros.png” is 1.0\xa0GB, "
            "more than the limit of 5.0\xa0MB.",
        ),
    ],
)
def test_a_gigabyte_of_zeros_in_a_small_zip_is_refused(
    hp_client, provinces, media, gigabyte_of_zeros, reference, message
):
    manifest = manifest_of()
    if reference == "cover_image":
        manifest["course"]["cover_image"] = "media/courses/zeros.png"
    else:
        manifest["course"]["modules"][0]["lessons"][0][reference] = "media/courses/zeros.png"
    data = with_manifest(gigabyte_of_zeros, manifest)
    assert len(data) < 1_100_000

    assert_refused(hp_client, data, provinces.hai_phong, media, message)


def test_a_video_over_its_limit_is_refused(provinces, media, monkeypatch):
    monkeypatch.setattr(limits, "VIDEO_MAX_BYTES", 1000)
    manifest = manifest_of()
    manifest["course"]["modules"][0]["lessons"][0].update(
        kind="video", video_file="media/courses/bai.mp4"
    )

    problems = refusal(
        deflated(manifest, {"media/courses/bai.mp4": bytes(2000)}), provinces.hai_phong
    )

    assert problems == [
        "Module 1, lesson 1: the video “media/courses/bai.mp4” is 2.0\xa0KB, "
        "more than the limit of 1000\xa0bytes."
    ]
    assert stored_files(media) == []


def test_a_gigabyte_of_zeros_posing_as_a_video_is_refused(
    hp_client, provinces, media, gigabyte_of_zeros
):
    manifest = manifest_of()
    manifest["course"]["modules"][0]["lessons"][0].update(
        kind="video", video_file="media/courses/zeros.png"
    )
    data = with_manifest(gigabyte_of_zeros, manifest)

    assert_refused(
        hp_client,
        data,
        provinces.hai_phong,
        media,
        "Module 1, lesson 1: “media/courses/zeros.png” unpacks to 1.0\xa0GB from almost "
        "nothing: it is not a real picture, video or document.",
    )


def test_a_cover_within_its_limit_imports(provinces, media):
    manifest = manifest_of({"cover_image": "media/courses/covers/bia.png"})

    course = transfer.course_import(
        upload=io.BytesIO(deflated(manifest, {"media/courses/covers/bia.png": png_bytes()})),
        owner_unit=provinces.hai_phong,
    )

    assert re.fullmatch(r"courses/covers/[\w-]{16}/bia\.png", course.cover_image.name)
    assert stored_files(media) == [course.cover_image.name]


def test_a_cover_declaring_too_many_pixels_is_not_an_image(provinces, media, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    manifest = manifest_of({"cover_image": "media/courses/covers/bia.png"})
    data = deflated(manifest, {"media/courses/covers/bia.png": png_bytes()})

    assert refusal(data, provinces.hai_phong) == ["Course: the cover image is not a valid image."]


def test_a_password_protected_member_is_refused(provinces, media):
    data = bytearray(deflated(manifest_of(), {"media/courses/a.pdf": b"%PDF-1.4"}))
    data[data.rfind(b"PK\x01\x02") + 8] |= 0x1  # the central directory's "encrypted" flag

    assert refusal(bytes(data), provinces.hai_phong) == [
        "The .zip archive is damaged and cannot be read."
    ]


def test_the_unpacked_total_is_bounded(provinces, media, gigabyte_of_zeros, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 2**29)

    problems = refusal(with_manifest(gigabyte_of_zeros, manifest_of()), provinces.hai_phong)

    assert problems == ["The archive unpacks to more than 512 MB."]


# Text ------------------------------------------------------------------------------------


def test_a_nul_in_the_title_is_refused(hp_client, provinces, media):
    data = deflated(manifest_of({"title": "Khóa\x00học"}))

    assert_refused(
        hp_client,
        data,
        provinces.hai_phong,
        media,
        "Course: “title” contains invalid characters.",
    )


@pytest.mark.parametrize(
    ("place", "message"),
    [
        ("summary", "Course: “summary” contains invalid characters."),
        ("audiences", "Course: “audiences” contains invalid characters."),
        ("module", "Module 1: “title” contains invalid characters."),
        ("body", "Module 1, lesson 1: “body” contains invalid characters."),
        ("choice", "Module 1, lesson 1, question 1, choice 1: “text” contains invalid characters."),
    ],
)
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ud800"])
def test_control_characters_anywhere_are_refused_with_their_place(
    provinces, media, place, message, character
):
    manifest = manifest_of()
    course = manifest["course"]
    module = course["modules"][0]
    bad = f"Chữ{character}"
    if place == "summary":
        course["summary"] = bad
    elif place == "audiences":
        course["audiences"] = ["citizen", bad]
    elif place == "module":
        module["title"] = bad
    elif place == "body":
        module["lessons"][0]["body"] = f"<p>{bad}</p>"
    else:
        module["lessons"] = [quiz_of(1)]
        module["lessons"][0]["questions"][0]["choices"][0]["text"] = bad

    assert message in refusal(deflated(manifest), provinces.hai_phong)
    assert not Course.objects.exists()


def test_tabs_and_line_breaks_are_kept_and_text_is_normalised(hp_client, provinces, media):
    decomposed = unicodedata.normalize("NFD", "Khóa học số")
    description = "Dòng một\r\nDòng hai\tcột"
    data = deflated(manifest_of({"title": decomposed, "description": description}))

    response = import_(hp_client, data, provinces.hai_phong)

    assert response.status_code == 302, page(response)[:3000]
    course = Course.objects.get()
    assert course.title == "Khóa học số" != decomposed
    assert course.description == description
