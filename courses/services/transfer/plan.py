"""Import, building: every object of the course made from the manifest and validated, nothing
saved yet, so that every problem can be reported before anything is written."""

import zipfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath

from django.utils.text import slugify
from django.utils.translation import gettext as _

from units.models import Unit

from ...models import Choice, Course, CourseStatus, Lesson, Module, Question
from ...sanitize import html_sanitize
from ..authoring import slug_unique
from .manifest import INVALID_CHARACTERS, ManifestReader
from .schema import LESSON_FILES, choice_place, lesson_place, module_place, question_place

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}

# A lesson: (lesson, {file field: archive name}, [(question, [choices])]).
LessonPlan = tuple[Lesson, dict[str, str], list[tuple[Question, list[Choice]]]]


@dataclass
class Plan:
    """Everything checked and built, not yet saved."""

    course: Course
    cover: str
    modules: list[tuple[Module, list[LessonPlan]]] = field(default_factory=list)


def _cover_is_image(archive: zipfile.ZipFile, name: str) -> bool:
    from PIL import Image, UnidentifiedImageError

    if PurePosixPath(name).suffix.lower() not in IMAGE_EXTENSIONS:
        return False
    try:
        with archive.open(name) as stream, Image.open(stream) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return False
    return True


def _audiences(reader: ManifestReader, data: dict, where: str) -> str:
    audiences = data.get("audiences", [])
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        reader.problem(where, _("“%(field)s” must be a list of text.") % {"field": "audiences"})
        audiences = []
    elif any(INVALID_CHARACTERS.search(audience) for audience in audiences):
        reader.invalid(where, "audiences")
        audiences = []
    return "," + ",".join(audiences) + "," if audiences else ""


def course_plan(reader: ManifestReader, data: dict, owner_unit: Unit) -> Plan:
    where = _("Course")
    course = Course(
        owner_unit=owner_unit,
        status=CourseStatus.DRAFT,
        title=reader.text(data, "title", where),
        summary=reader.text(data, "summary", where),
        description=reader.text(data, "description", where),
        cover_alt=reader.text(data, "cover_alt", where),
        competency_area=reader.text(data, "competency_area", where),
        level=reader.text(data, "level", where, "basic"),
        estimated_minutes=reader.number(data, "estimated_minutes", where, 30),
        sequential=reader.flag(data, "sequential", where, True),
    )
    course.audiences = _audiences(reader, data, where)
    base = slugify(reader.text(data, "slug", where)) or slugify(course.title) or "khoa-hoc"
    course.slug = slug_unique(base=base)
    reader.validate(course, where, exclude=["cover_image"])
    cover = reader.media(data, "cover_image", where)
    if cover and not _cover_is_image(reader.archive, cover):
        reader.problem(where, _("the cover image is not a valid image."))
    modules = _planned(reader, data, "modules", where, module_place, _module_plan)
    return Plan(course=course, cover=cover, modules=modules)


def _planned(reader: ManifestReader, data: dict, key: str, where: str, place, plan) -> list:
    """Each object listed under `key`, planned by `plan` with its place and its number (which
    is also its position when it states none)."""
    return [
        plan(reader, child, place(number), number)
        for number, child in enumerate(reader.items(data, key, where), start=1)
    ]


def _module_plan(
    reader: ManifestReader, data: dict, where: str, number: int
) -> tuple[Module, list[LessonPlan]]:
    module = Module(
        title=reader.text(data, "title", where),
        position=reader.number(data, "position", where, number),
    )
    reader.validate(module, where, exclude=["course"])
    lessons = _planned(reader, data, "lessons", where, partial(lesson_place, where), _lesson_plan)
    return module, lessons


def _lesson_plan(reader: ManifestReader, data: dict, where: str, number: int) -> LessonPlan:
    lesson = Lesson(
        title=reader.text(data, "title", where),
        kind=reader.text(data, "kind", where),
        position=reader.number(data, "position", where, number),
        estimated_minutes=reader.number(data, "estimated_minutes", where, 5),
        body=html_sanitize(reader.text(data, "body", where)),
        video_url=reader.text(data, "video_url", where),
        transcript=reader.text(data, "transcript", where),
        pass_mark=reader.number(data, "pass_mark", where, 80),
        max_attempts=reader.number(data, "max_attempts", where, 3),
        shuffle=reader.flag(data, "shuffle", where, False),
    )
    reader.validate(lesson, where, exclude=["module", "course", *LESSON_FILES])
    files = {name: reader.media(data, name, where) for name in LESSON_FILES}
    place = partial(question_place, where)
    return lesson, files, _planned(reader, data, "questions", where, place, _question_plan)


def _question_plan(
    reader: ManifestReader, data: dict, where: str, number: int
) -> tuple[Question, list[Choice]]:
    question = Question(
        text=reader.text(data, "text", where),
        kind=reader.text(data, "kind", where, "single"),
        explanation=reader.text(data, "explanation", where),
        position=reader.number(data, "position", where, number),
    )
    reader.validate(question, where, exclude=["lesson"])
    choices = _planned(reader, data, "choices", where, partial(choice_place, where), _choice_plan)
    return question, choices


def _choice_plan(reader: ManifestReader, data: dict, where: str, number: int) -> Choice:
    choice = Choice(
        text=reader.text(data, "text", where),
        is_correct=reader.flag(data, "is_correct", where),
        position=reader.number(data, "position", where, number),
    )
    reader.validate(choice, where, exclude=["question"])
    return choice
