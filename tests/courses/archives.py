"""Course archives (.zip) as the export writes them and as a hostile upload might, and the
import through the admin's page or the service."""

import io
import json
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from courses.models import Course, Lesson, Module
from courses.services import transfer

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
PDF_BYTES = b"%PDF-1.4\n% tai lieu\n" + b"0" * 2000


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (164, 22, 26)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


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


def manifest_of(course_data: dict | None = None, **top) -> dict:
    """A valid course.json of one module and one reading lesson, with `course_data` on top."""
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


def zip_of(manifest: dict | None, extra: dict[str, bytes] | None = None) -> bytes:
    """A stored (uncompressed) archive of `manifest` and the `extra` members, names as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if manifest is not None:
            archive.writestr("course.json", json.dumps(manifest, ensure_ascii=False))
        for name, content in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), content)
    return buffer.getvalue()


def deflated(manifest: dict | str, members: dict[str, bytes] | None = None) -> bytes:
    """A compressed archive of `manifest` (or a course.json text as given) and `members`."""
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
    """The import page answers 400 with every message, and nothing was stored."""
    before = rows()

    response = import_(client, data, unit)

    html = response.content.decode()
    assert response.status_code == 400, html[:3000]
    for message in messages:
        assert message in html, html[:3000]
    assert rows() == before
    assert stored_files(media) == []


def refusal(data: bytes, unit) -> list[str]:
    """The problems the import service names (in English) when it refuses `data`."""
    with translation.override("en"), pytest.raises(transfer.TransferError) as refused:
        transfer.course_import(upload=io.BytesIO(data), owner_unit=unit)
    return refused.value.problems
