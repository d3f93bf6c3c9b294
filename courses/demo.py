"""The demo curriculum: six published courses read from courses/demo/*.json."""

import json
from pathlib import Path

from django.db import transaction

from units.models import Unit

from .models import Choice, Course, CourseStatus, Lesson, Module, Question
from .sanitize import html_sanitize
from .services.authoring import course_search_text_refresh

DEMO_DIR = Path(__file__).resolve().parent / "demo"
NATION_CODE = "VN"


def _course_fields(data: dict, owner: Unit) -> dict:
    return {
        "title": data["title"],
        "summary": data["summary"],
        "description": data["description"],
        "competency_area": data["competency_area"],
        "audiences": "," + ",".join(data["audiences"]) + ",",
        "level": data["level"],
        "estimated_minutes": data["estimated_minutes"],
        "sequential": data["sequential"],
        "featured": data.get("featured", False),
        "status": CourseStatus.PUBLISHED,
        "owner_unit": owner,
    }


@transaction.atomic
def demo_course_load(*, data: dict, owner: Unit) -> tuple[Course, bool]:
    """Create a course with its content once; an existing course (by slug) is left untouched,
    so learners' progress in it is never disturbed by a second run."""
    existing = Course.objects.filter(slug=data["slug"]).first()
    if existing is not None:
        return existing, False
    course = Course(slug=data["slug"], **_course_fields(data, owner))
    course.full_clean()
    course.save()
    for module_position, module_data in enumerate(data["modules"], start=1):
        module = Module.objects.create(
            course=course, title=module_data["title"], position=module_position
        )
        for lesson_position, lesson_data in enumerate(module_data["lessons"], start=1):
            lesson = Lesson.objects.create(
                module=module,
                course=course,
                title=lesson_data["title"],
                kind=lesson_data["kind"],
                position=lesson_position,
                estimated_minutes=lesson_data.get("estimated_minutes", 5),
                body=html_sanitize(lesson_data.get("body_html", "")),
                pass_mark=lesson_data.get("pass_mark", 80),
                max_attempts=lesson_data.get("max_attempts", 3),
                shuffle=lesson_data.get("shuffle", False),
            )
            for q_position, q_data in enumerate(lesson_data.get("questions", []), start=1):
                question = Question.objects.create(
                    lesson=lesson,
                    text=q_data["text"],
                    kind=q_data["kind"],
                    explanation=q_data.get("explanation", ""),
                    position=q_position,
                )
                Choice.objects.bulk_create(
                    Choice(question=question, text=c["text"], is_correct=c["correct"], position=i)
                    for i, c in enumerate(q_data["choices"], start=1)
                )
    course_search_text_refresh(course=course)
    return course, True


def demo_curriculum_load() -> list[tuple[Course, bool]]:
    owner = Unit.objects.get(code=NATION_CODE)
    results = []
    for path in sorted(DEMO_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        results.append(demo_course_load(data=data, owner=owner))
    return results
