"""Export a course as a .zip and import it elsewhere: the same course, files and all."""

import io
import json
import os
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import Course, CourseStatus, LessonKind, Question
from courses.services import transfer
from tests.courses.archives import PDF_BYTES, VIDEO_BYTES, export, import_, png_bytes, stored_files
from tests.courses.authoring import page, structure
from tests.courses.factories import course_owned


@pytest.fixture
def rich_course(provinces, media):
    """Reading, video, attachment and quiz lessons, and a cover image."""
    course = course_owned(provinces.hai_phong, title="An toàn mạng Hải Phòng", slug="an-toan-hp")
    course.cover_alt = "Bìa khóa học"
    course.cover_image.save("bia.png", ContentFile(png_bytes()), save=True)
    video = course.lessons.get(title="Bài 1.1")
    video.kind = LessonKind.VIDEO
    video.transcript = "Lời thoại của video."
    video.video_file.save("bai-1-1.mp4", ContentFile(VIDEO_BYTES), save=True)
    document = course.lessons.get(title="Bài 1.2")
    document.kind = LessonKind.ATTACHMENT
    document.attachment.save("tai-lieu.pdf", ContentFile(PDF_BYTES), save=True)
    return course


def files_of(course) -> dict[str, bytes]:
    found = {}
    for field_file in [course.cover_image] + [
        f for lesson in course.lessons.all() for f in (lesson.video_file, lesson.attachment) if f
    ]:
        with field_file.open("rb") as stream:
            found[os.path.basename(field_file.name)] = stream.read()
    return found


# Round trip ------------------------------------------------------------------------------


def test_export_then_import_in_a_fresh_site_recreates_the_course(
    hp_client, rich_course, provinces, settings, tmp_path
):
    original_structure = structure(rich_course)
    original_files = files_of(rich_course)
    original_questions = [
        (q.text, sorted(c.text for c in q.choices.all() if c.is_correct))
        for q in Question.objects.filter(lesson__course=rich_course).order_by("position")
    ]

    data = export(hp_client, rich_course)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("course.json"))
    assert manifest["schema_version"] == transfer.SCHEMA_VERSION
    assert manifest["course"]["title"] == "An toàn mạng Hải Phòng"
    # Each file is stored in a random folder (courses.models): the archive keeps its name.
    assert {re.sub(r"/[\w-]{16}/", "/", name) for name in names} == {
        "course.json",
        "media/courses/covers/bia.png",
        "media/courses/videos/bai-1-1.mp4",
        "media/courses/attachments/tai-lieu.pdf",
    }

    # A fresh site: no course, empty media storage.
    rich_course.delete()
    settings.MEDIA_ROOT = tmp_path / "elsewhere"
    response = import_(hp_client, data, provinces.hp_ward)

    imported = Course.objects.get()
    assert response.status_code == 302, page(response)[:3000]
    assert response.url == reverse("admin:courses_course_change", args=[imported.pk])
    assert imported.slug == "an-toan-hp"
    assert imported.status == CourseStatus.DRAFT
    assert imported.owner_unit == provinces.hp_ward
    assert imported.cover_alt == "Bìa khóa học"
    assert imported.audiences == ",citizen,official,"
    assert structure(imported) == original_structure
    assert [
        (q.text, sorted(c.text for c in q.choices.all() if c.is_correct))
        for q in Question.objects.filter(lesson__course=imported).order_by("position")
    ] == original_questions
    assert files_of(imported) == original_files
    assert [re.sub(r"/[\w-]{16}/", "/", n) for n in stored_files(settings.MEDIA_ROOT)] == [
        "courses/attachments/tai-lieu.pdf",
        "courses/covers/bia.png",
        "courses/videos/bai-1-1.mp4",
    ]
    assert "an toan mang hai phong" in imported.search_text


def test_importing_next_to_the_original_gets_a_new_slug(hp_client, rich_course, provinces):
    data = export(hp_client, rich_course)

    import_(hp_client, data, provinces.hai_phong)
    import_(hp_client, data, provinces.hai_phong)

    assert set(Course.objects.values_list("slug", flat=True)) == {
        "an-toan-hp",
        "an-toan-hp-2",
        "an-toan-hp-3",
    }
    assert rich_course.lessons.count() == Course.objects.get(slug="an-toan-hp-3").lessons.count()


def test_export_needs_exactly_one_course(hp_client, rich_course, provinces):
    other = course_owned(provinces.hai_phong, title="Khác", slug="khac")

    response = hp_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "export_course", "_selected_action": [rich_course.pk, other.pk]},
        follow=True,
    )

    assert "Choose exactly one course to export." in page(response)


def test_export_leaves_out_missing_files_and_says_so(hp_client, rich_course):
    rich_course.cover_image.storage.delete(rich_course.cover_image.name)

    data = export(hp_client, rich_course)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "media/courses/covers/bia.png" not in archive.namelist()
        assert json.loads(archive.read("course.json"))["course"]["cover_image"] == ""
