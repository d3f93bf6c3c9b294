"""Course import refuses oversized or fake media and control characters, with their place."""

import io
import json
import re
import unicodedata
import zipfile

import pytest
from PIL import Image

from courses.models import Course
from courses.services import transfer
from courses.services.transfer import limits
from tests.courses.archives import (
    assert_refused,
    deflated,
    import_,
    manifest_of,
    png_bytes,
    quiz_of,
    refusal,
    stored_files,
)
from tests.courses.authoring import page

# Media sizes -----------------------------------------------------------------------------


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
