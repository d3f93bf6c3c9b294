"""Export a course as a .zip and import it elsewhere; hostile or broken files change nothing."""

import io
import json
import os
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from courses.models import Course, CourseStatus, LessonKind, Question
from courses.services import authoring, transfer
from courses.services.transfer import limits
from tests.courses import test_authoring as authoring_tests
from tests.courses.test_authoring import client_for, course_owned, page, structure

# Fixtures shared with the authoring tests.
provinces = authoring_tests.provinces
hp_author = authoring_tests.hp_author
hn_author = authoring_tests.hn_author
hp_client = authoring_tests.hp_client

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
PDF_BYTES = b"%PDF-1.4\n% tai lieu\n" + b"0" * 2000


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (164, 22, 26)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


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


def export(client, course) -> bytes:
    response = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "export_course", "_selected_action": [course.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{course.slug}.zip"' in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def import_(client, data: bytes, unit, name: str = "khoa-hoc.zip"):
    return client.post(
        reverse("admin:courses_course_import"),
        {"archive": SimpleUploadedFile(name, data, "application/zip"), "owner_unit": unit.pk},
    )


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


# Import checks ---------------------------------------------------------------------------


def manifest_of(course_data: dict | None = None, **top) -> dict:
    lesson = {
        "title": "Bài 1",
        "kind": "reading",
        "position": 1,
        "body": "<p>Xin chào</p>",
        "video_file": "",
        "attachment": "",
        "questions": [],
    }
    course = {
        "title": "Khóa nhập",
        "slug": "khoa-nhap",
        "summary": "Tóm tắt",
        "competency_area": "safety",
        "audiences": ["citizen"],
        "modules": [{"title": "Chương 1", "position": 1, "lessons": [lesson]}],
    }
    course.update(course_data or {})
    return {
        "schema": transfer.SCHEMA,
        "schema_version": transfer.SCHEMA_VERSION,
        "course": course,
        **top,
    }


def zip_of(manifest: dict | None, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if manifest is not None:
            archive.writestr("course.json", json.dumps(manifest, ensure_ascii=False))
        for name, content in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), content)
    return buffer.getvalue()


def assert_refused(client, data, unit, media, message):
    courses_before = Course.objects.count()

    response = import_(client, data, unit)

    assert response.status_code == 400
    assert message in page(response)
    assert Course.objects.count() == courses_before
    assert stored_files(media) == []


def test_a_minimal_archive_imports_with_clean_html(hp_client, provinces, media):
    manifest = manifest_of()
    lesson = manifest["course"]["modules"][0]["lessons"][0]
    lesson["body"] = '<p onclick="steal()">Xin chào</p><script>alert(1)</script>'

    response = import_(hp_client, zip_of(manifest), provinces.hai_phong)

    assert response.status_code == 302, page(response)[:3000]
    course = Course.objects.get(slug="khoa-nhap")
    assert course.lessons.get().body == "<p>Xin chào</p>"


def test_a_path_leaving_the_archive_is_refused(hp_client, provinces, media, tmp_path):
    data = zip_of(manifest_of(), {"../evil.txt": b"owned", "media/ok.txt": b"ok"})

    assert_refused(hp_client, data, provinces.hai_phong, media, "unsafe file paths: ../evil.txt")
    assert not (tmp_path / "evil.txt").exists()
    assert not (media.parent / "evil.txt").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "C:/windows/x.txt", "media\\..\\..\\x.txt"])
def test_absolute_and_windows_paths_are_refused(hp_client, provinces, media, name):
    data = zip_of(manifest_of(), {name: b"x"})

    assert_refused(hp_client, data, provinces.hai_phong, media, "unsafe file paths")


def test_a_manifest_reference_outside_media_is_refused(hp_client, provinces, media):
    manifest = manifest_of({"cover_image": "course.json"})

    assert_refused(
        hp_client, zip_of(manifest), provinces.hai_phong, media, "unsafe file path “course.json”"
    )


def test_too_many_entries_are_refused(hp_client, provinces, media):
    extra = {f"media/f{n}.txt": b"" for n in range(limits.MAX_ENTRIES)}

    assert_refused(
        hp_client,
        zip_of(manifest_of(), extra),
        provinces.hai_phong,
        media,
        "The archive holds 1001 entries; at most 1000 are allowed.",
    )


def test_a_file_that_is_not_a_zip_is_refused(hp_client, provinces, media):
    assert_refused(
        hp_client,
        b"PK\x03\x04 this is not really a zip",
        provinces.hai_phong,
        media,
        "This file is not a .zip archive.",
    )


def test_a_damaged_zip_is_refused(hp_client, provinces, media):
    data = bytearray(zip_of(manifest_of()))
    data[40:60] = b"\xff" * 20  # inside course.json's compressed data: the CRC fails

    assert_refused(hp_client, bytes(data), provinces.hai_phong, media, "damaged")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "The archive has no course.json: it is not a course export."),
        ({"schema": "something-else"}, "This file is not a course export of this platform."),
        (
            {"schema": transfer.SCHEMA, "schema_version": 99, "course": {}},
            "The export uses schema version 99; this site reads up to version 1.",
        ),
        ({"schema": transfer.SCHEMA, "schema_version": 1}, "The export has no course."),
    ],
)
def test_wrong_manifests_are_refused(hp_client, provinces, media, manifest, message):
    assert_refused(hp_client, zip_of(manifest), provinces.hai_phong, media, message)


def test_invalid_json_is_refused(hp_client, provinces, media):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.json", "{not json")

    assert_refused(
        hp_client, buffer.getvalue(), provinces.hai_phong, media, "course.json is not valid JSON."
    )


def test_invalid_fields_are_reported_with_their_place(hp_client, provinces, media):
    manifest = manifest_of()
    lesson = manifest["course"]["modules"][0]["lessons"][0]
    lesson.update(kind="quiz", pass_mark=101)
    lesson["questions"] = [{"text": "", "kind": "single", "choices": [{"text": 5}]}]

    courses_before = Course.objects.count()
    response = import_(hp_client, zip_of(manifest), provinces.hai_phong)

    html = page(response)
    assert response.status_code == 400
    assert "Module 1, lesson 1: pass_mark" in html
    assert "Module 1, lesson 1, question 1: text" in html
    assert "Module 1, lesson 1, question 1, choice 1: “text” must be text." in html
    assert Course.objects.count() == courses_before


def test_a_referenced_file_missing_from_the_archive_is_refused(hp_client, provinces, media):
    manifest = manifest_of()
    manifest["course"]["modules"][0]["lessons"][0]["attachment"] = "media/courses/a.pdf"

    assert_refused(
        hp_client,
        zip_of(manifest, {"media/courses/b.pdf": PDF_BYTES}),
        provinces.hai_phong,
        media,
        "the file “media/courses/a.pdf” is not in the archive.",
    )


def test_a_cover_that_is_not_an_image_is_refused(hp_client, provinces, media):
    manifest = manifest_of({"cover_image": "media/courses/covers/bia.png"})

    assert_refused(
        hp_client,
        zip_of(manifest, {"media/courses/covers/bia.png": b"<svg onload=alert(1)>"}),
        provinces.hai_phong,
        media,
        "the cover image is not a valid image.",
    )


def test_an_oversized_archive_is_refused(provinces, media, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ARCHIVE_BYTES", 100)

    with pytest.raises(transfer.TransferError, match="larger than"):
        transfer.course_import(upload=io.BytesIO(b"x" * 101), owner_unit=provinces.hai_phong)


def test_a_failure_while_writing_removes_the_stored_files(provinces, media, monkeypatch):
    manifest = manifest_of()
    manifest["course"]["modules"][0]["lessons"][0]["attachment"] = "media/courses/a.pdf"
    data = zip_of(manifest, {"media/courses/a.pdf": PDF_BYTES})

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(authoring, "course_search_text_refresh", broken)

    with pytest.raises(RuntimeError):
        transfer.course_import(upload=io.BytesIO(data), owner_unit=provinces.hai_phong)

    assert not Course.objects.filter(slug="khoa-nhap").exists()
    assert stored_files(media) == []


def test_import_into_another_provinces_unit_is_a_form_error(hp_client, provinces, media):
    response = import_(hp_client, zip_of(manifest_of()), provinces.ha_noi)

    assert response.status_code == 400
    assert "owner_unit" in response.context["form"].errors
    assert not Course.objects.exists()


def test_import_page_needs_the_add_permission(provinces, hn_author, media):
    hn_author.groups.clear()
    hn_author.user_permissions.add(Permission.objects.get(codename="view_course"))

    response = client_for(hn_author).get(reverse("admin:courses_course_import"))

    assert response.status_code == 403
