"""How much a course archive may hold, and the check of a manifest against it: counts, declared
file sizes and text size, before anything is built. The sizes of uploads come from settings;
the shape limits are here, and the importer reads them from here when it runs."""

import zipfile
from collections.abc import Callable

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .schema import (
    CHOICE_FIELDS,
    COURSE_FIELDS,
    LESSON_FIELDS,
    QUESTION_FIELDS,
    choice_place,
    lesson_place,
    listed,
    module_place,
    question_place,
)

MAX_ARCHIVE_BYTES = settings.COURSE_IMPORT_MAX_ARCHIVE_BYTES
MAX_ENTRIES = 1000
# A zip bomb is small on the wire: the declared unpacked sizes are bounded too.
MAX_UNPACKED_BYTES = 2 * 2**30
MAX_MANIFEST_BYTES = 20 * 2**20
# The schema itself nests 10 levels deep (course, modules, lessons, questions, choices).
MAX_DEPTH = 20
MAX_MODULES = 200
MAX_LESSONS = 2000
MAX_LESSONS_PER_MODULE = 200
MAX_QUESTIONS_PER_LESSON = 200
# Questions are cleaned and saved one by one: the total, not the per-quiz limit, bounds the time.
MAX_QUESTIONS = 2000
MAX_CHOICES_PER_QUESTION = 20
# What is sanitised, cleaned and stored; course.json's own size also counts syntax and escapes.
MAX_TEXT_BYTES = 10 * 2**20
IMAGE_MAX_BYTES = settings.IMAGE_MAX_BYTES
ATTACHMENT_MAX_BYTES = settings.ATTACHMENT_MAX_BYTES
VIDEO_MAX_BYTES = settings.VIDEO_MAX_BYTES
MAX_REPORTED_PROBLEMS = 10
# Pictures, videos and documents are compressed already: one that a zip shrinks twentyfold is
# padding, which would fill the disk within the size limits.
MEDIA_MAX_RATIO = 20
MEDIA_RATIO_FROM_BYTES = 1024 * 1024


def _text_bytes(data: dict, fields: list[str]) -> int:
    values = (data.get(name) for name in fields)
    return sum(len(v.encode("utf-8", "surrogatepass")) for v in values if isinstance(v, str))


Placed = list[tuple[str, dict]]  # (place in the course, what the manifest holds there)

TOO_MANY_MODULES = gettext_lazy("The course has %(count)d modules; at most %(limit)d are allowed.")
TOO_MANY_LESSONS = gettext_lazy("The course has %(count)d lessons; at most %(limit)d are allowed.")
TOO_MANY_QUESTIONS = gettext_lazy(
    "The course has %(count)d questions; at most %(limit)d are allowed."
)
MODULE_TOO_MANY_LESSONS = gettext_lazy(
    "%(module)s has %(count)d lessons; at most %(limit)d are allowed."
)
LESSON_TOO_MANY_QUESTIONS = gettext_lazy(
    "%(lesson)s has %(count)d questions; at most %(limit)d are allowed."
)
QUESTION_TOO_MANY_CHOICES = gettext_lazy(
    "%(question)s has %(count)d choices; at most %(limit)d are allowed."
)
COVER_TOO_LARGE = gettext_lazy(
    "the cover image “%(name)s” is %(size)s, more than the limit of %(limit)s."
)
VIDEO_TOO_LARGE = gettext_lazy(
    "the video “%(name)s” is %(size)s, more than the limit of %(limit)s."
)
ATTACHMENT_TOO_LARGE = gettext_lazy(
    "the attachment “%(name)s” is %(size)s, more than the limit of %(limit)s."
)


def _children(parents: Placed, key: str, place: Callable[[str, int], str]) -> Placed:
    """The objects listed under `key` in each parent, with their places (numbered as listed)."""
    return [
        (place(parent_place, number), child)
        for parent_place, parent in parents
        for number, child in enumerate(listed(parent, key), start=1)
        if isinstance(child, dict)
    ]


class _Problems:
    """Counts over their limit, and files declared too large, as they are found."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = set(archive.namelist())
        self.counts: list[str] = []
        self.sizes: list[str] = []

    @property
    def found(self) -> list[str]:
        return self.counts + self.sizes

    def too_many(self, message: str, count: int, limit: int, **place: str) -> None:
        if count > limit:
            self.counts.append(message % {"count": count, "limit": limit, **place})

    def too_many_in_all(self, parents: Placed, key: str, limit: int, message: str) -> None:
        self.too_many(message, sum(len(listed(parent, key)) for _place, parent in parents), limit)

    def too_many_in_each(
        self, parents: Placed, key: str, limit: int, message: str, place_name: str
    ) -> None:
        for place, parent in parents:
            self.too_many(message, len(listed(parent, key)), limit, **{place_name: place})

    def too_large(self, place: str, data: dict, key: str, limit: int, message: str) -> None:
        name = data.get(key)
        info = self.archive.getinfo(name) if isinstance(name, str) and name in self.names else None
        size = info.file_size if info else 0
        if size > limit:
            values = {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
            self.sizes.append(f"{place}: {message % values}")
        elif size > MEDIA_RATIO_FROM_BYTES and size > MEDIA_MAX_RATIO * info.compress_size:
            values = {"name": name, "size": filesizeformat(size)}
            self.sizes.append(
                f"{place}: "
                + _(
                    "“%(name)s” unpacks to %(size)s from almost nothing: it is not a real "
                    "picture, video or document."
                )
                % values
            )


def limit_problems(archive: zipfile.ZipFile, course: dict) -> list[str]:
    """Counts, declared file sizes and text size, before anything is built.

    Level by level: a level is looked into only when the counts above it are within their
    limits, so this work is bounded by the limits however large the manifest is.
    """
    problems = _Problems(archive)
    problems.too_large(_("Course"), course, "cover_image", IMAGE_MAX_BYTES, COVER_TOO_LARGE)
    problems.too_many_in_all([("", course)], "modules", MAX_MODULES, TOO_MANY_MODULES)
    if problems.counts:
        return problems.found
    modules = [
        (module_place(number), module)
        for number, module in enumerate(listed(course, "modules"), start=1)
        if isinstance(module, dict)
    ]
    problems.too_many_in_all(modules, "lessons", MAX_LESSONS, TOO_MANY_LESSONS)
    problems.too_many_in_each(
        modules, "lessons", MAX_LESSONS_PER_MODULE, MODULE_TOO_MANY_LESSONS, "module"
    )
    if problems.counts:
        return problems.found
    lessons = _children(modules, "lessons", lesson_place)
    problems.too_many_in_all(lessons, "questions", MAX_QUESTIONS, TOO_MANY_QUESTIONS)
    problems.too_many_in_each(
        lessons, "questions", MAX_QUESTIONS_PER_LESSON, LESSON_TOO_MANY_QUESTIONS, "lesson"
    )
    for place, lesson in lessons:
        problems.too_large(place, lesson, "video_file", VIDEO_MAX_BYTES, VIDEO_TOO_LARGE)
        problems.too_large(place, lesson, "attachment", ATTACHMENT_MAX_BYTES, ATTACHMENT_TOO_LARGE)
    if problems.counts:
        return problems.found
    questions = _children(lessons, "questions", question_place)
    problems.too_many_in_each(
        questions, "choices", MAX_CHOICES_PER_QUESTION, QUESTION_TOO_MANY_CHOICES, "question"
    )
    if problems.counts:
        return problems.found
    choices = _children(questions, "choices", choice_place)
    text = (
        _text_bytes(course, COURSE_FIELDS)
        + sum(_text_bytes(module, ["title"]) for _place, module in modules)
        + sum(_text_bytes(lesson, LESSON_FIELDS) for _place, lesson in lessons)
        + sum(_text_bytes(question, QUESTION_FIELDS) for _place, question in questions)
        + sum(_text_bytes(choice, CHOICE_FIELDS) for _place, choice in choices)
    )
    if text > MAX_TEXT_BYTES:
        problems.counts.append(
            _("The course text is %(size)s, more than the limit of %(limit)s.")
            % {"size": filesizeformat(text), "limit": filesizeformat(MAX_TEXT_BYTES)}
        )
    return problems.found
