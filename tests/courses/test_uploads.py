"""Files authors upload are of an allowed kind and size, and are served so that nothing uploaded
ever runs as a page of the site: documents download, pictures and videos show with the type the
site chose."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Lesson, LessonKind
from tests.courses.authoring import lesson_data

pytestmark = pytest.mark.django_db

PAGE = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_html_attachment_is_refused(hp_client, hp_course, media):
    module = hp_course.modules.first()
    for name in ("bai-hoc.html", "hinh.svg", "trang.htm"):
        response = hp_client.post(
            reverse("admin:courses_lesson_add"),
            {
                **lesson_data(module, title="Tài liệu", kind=LessonKind.ATTACHMENT),
                "attachment": SimpleUploadedFile(name, PAGE, content_type="text/html"),
            },
        )
        assert response.status_code == 200
        assert "attachment" in response.context["adminform"].form.errors
    assert not Lesson.objects.filter(title="Tài liệu").exists()
    assert not any(media.rglob("*.*"))


def test_a_video_over_the_limit_is_refused(hp_client, hp_course, media, settings):
    settings.VIDEO_MAX_BYTES = 1000
    module = hp_course.modules.first()
    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        {
            **lesson_data(module, title="Video", kind=LessonKind.VIDEO),
            "video_file": SimpleUploadedFile("bai.mp4", b"\0" * 1001, content_type="video/mp4"),
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["video_file"]
    assert "1000" in errors[0] or "1,0" in errors[0] or "KB" in errors[0]
    assert not Lesson.objects.filter(title="Video").exists()


def test_a_document_is_stored_and_served_as_a_download(hp_client, hp_course, media, client):
    module = hp_course.modules.first()
    response = hp_client.post(
        reverse("admin:courses_lesson_add"),
        {
            **lesson_data(module, title="Tài liệu", kind=LessonKind.ATTACHMENT),
            "attachment": SimpleUploadedFile("huong-dan.pdf", b"%PDF-1.4\n", "application/pdf"),
        },
    )
    assert response.status_code == 302
    lesson = Lesson.objects.get(title="Tài liệu")
    # Stored under a random folder: nobody finds a draft's file by guessing its name.
    assert re.fullmatch(r"courses/attachments/[\w-]{16}/huong-dan\.pdf", lesson.attachment.name)
    served = client.get(lesson.attachment.url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment;")
    assert b"".join(served.streaming_content) == b"%PDF-1.4\n"


def test_a_page_already_in_storage_is_never_rendered(client, media):
    (media / "courses" / "attachments").mkdir(parents=True)
    (media / "courses" / "attachments" / "cu.html").write_bytes(PAGE)
    response = client.get("/media/courses/attachments/cu.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="cu.html"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pictures_show_in_place_and_nothing_outside_media_is_reached(client, media):
    (media / "courses" / "covers").mkdir(parents=True)
    (media / "courses" / "covers" / "bia.png").write_bytes(b"\x89PNG\r\n")
    response = client.get("/media/courses/covers/bia.png")
    assert response["Content-Type"] == "image/png"
    assert "Content-Disposition" not in response or response["Content-Disposition"].startswith(
        "inline"
    )
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/%2e%2e/%2e%2e/etc/passwd").status_code == 404
