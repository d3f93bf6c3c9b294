"""Broken or hostile archives are refused with a message and change nothing."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from courses.models import Course
from courses.services import authoring, transfer
from courses.services.transfer import limits
from tests.accounts.factories import client_for
from tests.courses.archives import (
    PDF_BYTES,
    assert_refused,
    import_,
    manifest_of,
    stored_files,
    zip_of,
)
from tests.courses.authoring import page

# Import checks ---------------------------------------------------------------------------


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
