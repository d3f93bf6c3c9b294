"""Export: a course written as one .zip, course.json plus the media it references, to be
imported on another deployment."""

import json
import shutil
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from ...models import Course, Lesson, Question
from .schema import (
    CHOICE_FIELDS,
    COURSE_FIELDS,
    LESSON_FIELDS,
    LESSON_FILES,
    MANIFEST,
    MEDIA_DIR,
    QUESTION_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
)


@dataclass
class ExportResult:
    missing: list[str] = field(default_factory=list)  # stored names not found in storage


def course_export(*, course: Course, target: IO[bytes]) -> ExportResult:
    """Write the course as a zip into `target` (any writable binary file)."""
    result = ExportResult()
    files: dict[str, Any] = {}  # archive name -> FieldFile

    def reference(field_file) -> str:
        if not field_file or not field_file.name:
            return ""
        if not field_file.storage.exists(field_file.name):
            result.missing.append(field_file.name)
            return ""
        name = MEDIA_DIR + field_file.name
        files[name] = field_file
        return name

    modules = []
    lessons_by_module: dict[int, list] = {}
    questions = Question.objects.filter(lesson__course=course).prefetch_related("choices")
    questions_by_lesson: dict[int, list] = {}
    for question in questions:
        questions_by_lesson.setdefault(question.lesson_id, []).append(
            {
                **{name: getattr(question, name) for name in QUESTION_FIELDS},
                "choices": [
                    {name: getattr(choice, name) for name in CHOICE_FIELDS}
                    for choice in question.choices.all()
                ],
            }
        )
    for lesson in Lesson.objects.filter(course=course).order_by("position", "id"):
        lessons_by_module.setdefault(lesson.module_id, []).append(
            {
                **{name: getattr(lesson, name) for name in LESSON_FIELDS},
                **{name: reference(getattr(lesson, name)) for name in LESSON_FILES},
                "questions": questions_by_lesson.get(lesson.pk, []),
            }
        )
    for module in course.modules.order_by("position", "id"):
        modules.append(
            {
                "title": module.title,
                "position": module.position,
                "lessons": lessons_by_module.get(module.pk, []),
            }
        )
    manifest = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "exported_at": timezone.now().isoformat(),
        "source": settings.SITE_URL,
        "course": {
            **{name: getattr(course, name) for name in COURSE_FIELDS},
            "audiences": course.audience_list,
            "owner_unit_code": course.owner_unit.code,
            "cover_image": reference(course.cover_image),
            "modules": modules,
        },
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, field_file in files.items():
            # Video and images are compressed already: stored as they are.
            info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with field_file.storage.open(field_file.name, "rb") as source:
                with archive.open(info, "w", force_zip64=True) as sink:
                    shutil.copyfileobj(source, sink, 1024 * 1024)
    return result
