"""Move a course between deployments as one .zip: course.json plus the media it references.

Import reads and checks everything first (sizes, entry count, paths, nesting, counts, JSON, every
field) and only then writes, in one transaction; files stored before a failure are removed again,
so a broken or hostile archive leaves nothing behind. The limits can be set in settings.
"""

import json
import os
import re
import shutil
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify
from django.utils.translation import gettext as _

from units.models import Unit

from . import services
from .authoring import slug_unique
from .models import Choice, Course, CourseStatus, Lesson, Module, Question
from .sanitize import html_sanitize

SCHEMA = "binhdan-hocvu-so/course"
SCHEMA_VERSION = 1
MANIFEST = "course.json"
MEDIA_DIR = "media/"

MAX_ARCHIVE_BYTES = settings.COURSE_IMPORT_MAX_ARCHIVE_BYTES
MAX_ENTRIES = settings.COURSE_IMPORT_MAX_ENTRIES
# A zip bomb is small on the wire: the declared unpacked sizes are bounded too.
MAX_UNPACKED_BYTES = settings.COURSE_IMPORT_MAX_UNPACKED_BYTES
MAX_MANIFEST_BYTES = settings.COURSE_IMPORT_MAX_MANIFEST_BYTES
# The schema itself nests 10 levels deep (course, modules, lessons, questions, choices).
MAX_DEPTH = settings.COURSE_IMPORT_MAX_DEPTH
MAX_MODULES = settings.COURSE_IMPORT_MAX_MODULES
MAX_LESSONS = settings.COURSE_IMPORT_MAX_LESSONS
MAX_LESSONS_PER_MODULE = settings.COURSE_IMPORT_MAX_LESSONS_PER_MODULE
MAX_QUESTIONS_PER_LESSON = settings.COURSE_IMPORT_MAX_QUESTIONS_PER_LESSON
# Questions are cleaned and saved one by one: the total, not the per-quiz limit, bounds the time.
MAX_QUESTIONS = settings.COURSE_IMPORT_MAX_QUESTIONS
MAX_CHOICES_PER_QUESTION = settings.COURSE_IMPORT_MAX_CHOICES_PER_QUESTION
# What is sanitised, cleaned and stored; course.json's own size also counts syntax and escapes.
MAX_TEXT_BYTES = settings.COURSE_IMPORT_MAX_TEXT_BYTES
IMAGE_MAX_BYTES = settings.IMAGE_MAX_BYTES
ATTACHMENT_MAX_BYTES = settings.ATTACHMENT_MAX_BYTES
VIDEO_MAX_BYTES = settings.VIDEO_MAX_BYTES
MAX_REPORTED_PROBLEMS = 10
# Pictures, videos and documents are compressed already: one that a zip shrinks twentyfold is
# padding, which would fill the disk within the size limits.
MEDIA_MAX_RATIO = 20
MEDIA_RATIO_FROM_BYTES = 1024 * 1024
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}

COURSE_FIELDS = [
    "title",
    "slug",
    "summary",
    "description",
    "cover_alt",
    "competency_area",
    "level",
    "estimated_minutes",
    "sequential",
]
LESSON_FIELDS = [
    "title",
    "kind",
    "position",
    "estimated_minutes",
    "body",
    "video_url",
    "transcript",
    "pass_mark",
    "max_attempts",
    "shuffle",
]
LESSON_FILES = ["video_file", "attachment"]
QUESTION_FIELDS = ["text", "kind", "explanation", "position"]
CHOICE_FIELDS = ["text", "is_correct", "position"]

# JSON strings with their escapes (an unterminated one runs to the end), and other runs of text.
NOT_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^"\[\]{}]+', re.DOTALL)
# C0 controls other than tab, LF and CR, and lone surrogates, which no database text can hold.
INVALID_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# Reading an archive member can fail in all of these ways when the archive is damaged or odd.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError)


class TransferError(Exception):
    """The archive cannot be imported; `problems` says why, in words for the administrator."""

    def __init__(self, *problems: str):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# Export ------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    missing: list[str] = field(default_factory=list)  # stored names not found in storage


def _media_name(name: str) -> str:
    return MEDIA_DIR + name


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
        name = _media_name(field_file.name)
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


# Import: reading and checking ------------------------------------------------------------


def _unsafe(name: str) -> bool:
    """Absolute, drive-letter, parent-directory or NUL paths never leave the archive."""
    normal = name.replace("\\", "/")
    if not normal or normal.startswith("/") or "\x00" in normal:
        return True
    if len(normal) > 1 and normal[1] == ":":
        return True
    return ".." in PurePosixPath(normal).parts


@dataclass
class _Plan:
    """Everything checked and built, not yet saved."""

    course: Course
    cover: str
    modules: list[tuple[Module, list]] = field(default_factory=list)
    # (lesson, {file field: archive name}, [(question, [choices])])


class _Reader:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = {info.filename for info in archive.infolist() if not info.is_dir()}
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def text(
        self, data: dict, key: str, where: str, default: str = "", normalize: bool = True
    ) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(where, _("“%(field)s” must be text.") % {"field": key})
            return default
        if INVALID_CHARACTERS.search(value):
            self.invalid(where, key)
            return default
        return unicodedata.normalize("NFC", value) if normalize else value

    def invalid(self, where: str, key: str) -> None:
        self.problem(where, _("“%(field)s” contains invalid characters.") % {"field": key})

    def number(self, data: dict, key: str, where: str, default: int = 0) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, _("“%(field)s” must be a whole number.") % {"field": key})
            return default
        return value

    def flag(self, data: dict, key: str, where: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(where, _("“%(field)s” must be true or false.") % {"field": key})
            return default
        return value

    def items(self, data: dict, key: str, where: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(where, _("“%(field)s” must be a list of objects.") % {"field": key})
            return []
        return value

    def media(self, data: dict, key: str, where: str) -> str:
        # Member names are looked up as the archive spells them.
        name = self.text(data, key, where, normalize=False)
        if not name:
            return ""
        if _unsafe(name) or not name.startswith(MEDIA_DIR):
            self.problem(where, _("unsafe file path “%(name)s”.") % {"name": name})
            return ""
        if name not in self.names:
            self.problem(where, _("the file “%(name)s” is not in the archive.") % {"name": name})
            return ""
        return name

    def validate(self, instance, where: str, exclude: list[str]) -> None:
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = name if name != "__all__" else ""
                for message in messages:
                    self.problem(where, f"{label} – {message}" if label else message)


def _open_archive(upload: IO[bytes]) -> zipfile.ZipFile:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    if size > MAX_ARCHIVE_BYTES:
        raise TransferError(
            _("The file is larger than %(limit)d MB.") % {"limit": MAX_ARCHIVE_BYTES // 2**20}
        )
    if not zipfile.is_zipfile(upload):
        raise TransferError(_("This file is not a .zip archive."))
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise TransferError(_("The .zip archive is damaged and cannot be read.")) from error
    if len(infos) > MAX_ENTRIES:
        raise TransferError(
            _("The archive holds %(count)d entries; at most %(limit)d are allowed.")
            % {"count": len(infos), "limit": MAX_ENTRIES}
        )
    unsafe = sorted(info.filename for info in infos if _unsafe(info.filename))
    if unsafe:
        raise TransferError(
            _("The archive contains unsafe file paths: %(names)s.") % {"names": ", ".join(unsafe)}
        )
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise TransferError(
            _("The archive unpacks to more than %(limit)d MB.")
            % {"limit": MAX_UNPACKED_BYTES // 2**20}
        )
    return archive


def _check_members(archive: zipfile.ZipFile) -> None:
    """Every member unpacks to its declared size and checksum; run once the sizes are known."""
    try:
        damaged = archive.testzip()
    except READ_ERRORS as error:
        raise TransferError(_("The .zip archive is damaged and cannot be read.")) from error
    if damaged is not None:
        raise TransferError(_("The file “%(name)s” in the archive is damaged.") % {"name": damaged})


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside JSON strings open more than `limit` levels, in one pass."""
    depth = 0
    for bracket in NOT_BRACKETS.sub("", text):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def _manifest(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError as error:
        raise TransferError(
            _("The archive has no %(name)s: it is not a course export.") % {"name": MANIFEST}
        ) from error
    if info.file_size > MAX_MANIFEST_BYTES:
        raise TransferError(_("%(name)s is too large.") % {"name": MANIFEST})
    try:
        text = archive.read(info).decode("utf-8")
    except UnicodeDecodeError as error:
        raise TransferError(_("%(name)s is not valid JSON.") % {"name": MANIFEST}) from error
    except READ_ERRORS as error:
        raise TransferError(
            _("The file “%(name)s” in the archive is damaged.") % {"name": MANIFEST}
        ) from error
    # json.loads recurses once per level: a deep enough file exhausts the stack.
    if _nesting_exceeds(text, MAX_DEPTH):
        raise TransferError(
            _("%(name)s is nested more than %(limit)d levels deep.")
            % {"name": MANIFEST, "limit": MAX_DEPTH}
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TransferError(_("%(name)s is not valid JSON.") % {"name": MANIFEST}) from error
    except RecursionError as error:
        raise TransferError(
            _("%(name)s is nested too deeply to be read.") % {"name": MANIFEST}
        ) from error
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise TransferError(_("This file is not a course export of this platform."))
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TransferError(_("The export has no valid schema version."))
    if version > SCHEMA_VERSION:
        raise TransferError(
            _(
                "The export uses schema version %(version)d; this site reads up to version "
                "%(supported)d. Update this site first."
            )
            % {"version": version, "supported": SCHEMA_VERSION}
        )
    if not isinstance(data.get("course"), dict):
        raise TransferError(_("The export has no course."))
    return data["course"]


def _listed(data: dict, key: str) -> list:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _text_bytes(data: dict, fields: list[str]) -> int:
    values = (data.get(name) for name in fields)
    return sum(len(v.encode("utf-8", "surrogatepass")) for v in values if isinstance(v, str))


def _module_place(module: int) -> str:
    return _("Module %(number)d") % {"number": module}


def _lesson_place(module: int, lesson: int) -> str:
    return _("%(module)s, lesson %(number)d") % {"module": _module_place(module), "number": lesson}


def _question_place(module: int, lesson: int, question: int) -> str:
    return _("%(lesson)s, question %(number)d") % {
        "lesson": _lesson_place(module, lesson),
        "number": question,
    }


def _limit_problems(archive: zipfile.ZipFile, course: dict) -> list[str]:
    """Counts, declared file sizes and text size, before anything is built.

    Level by level: a level is looked into only when the counts above it are within their
    limits, so this work is bounded by the limits however large the manifest is.
    """
    counts: list[str] = []
    sizes: list[str] = []
    names = set(archive.namelist())

    def too_many(message: str, count: int, limit: int, **place: str) -> None:
        if count > limit:
            counts.append(message % {"count": count, "limit": limit, **place})

    def too_large(place: str, data: dict, key: str, limit: int, message: str) -> None:
        name = data.get(key)
        info = archive.getinfo(name) if isinstance(name, str) and name in names else None
        size = info.file_size if info else 0
        if size > limit:
            values = {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
            sizes.append(f"{place}: {message % values}")
        elif size > MEDIA_RATIO_FROM_BYTES and size > MEDIA_MAX_RATIO * info.compress_size:
            values = {"name": name, "size": filesizeformat(size)}
            sizes.append(
                f"{place}: "
                + _(
                    "“%(name)s” unpacks to %(size)s from almost nothing: it is not a real "
                    "picture, video or document."
                )
                % values
            )

    too_large(
        _("Course"),
        course,
        "cover_image",
        IMAGE_MAX_BYTES,
        _("the cover image “%(name)s” is %(size)s, more than the limit of %(limit)s."),
    )
    listed = _listed(course, "modules")
    too_many(
        _("The course has %(count)d modules; at most %(limit)d are allowed."),
        len(listed),
        MAX_MODULES,
    )
    if counts:
        return counts + sizes
    modules = [(m, module) for m, module in enumerate(listed, start=1) if isinstance(module, dict)]
    lessons_of = {m: _listed(module, "lessons") for m, module in modules}
    too_many(
        _("The course has %(count)d lessons; at most %(limit)d are allowed."),
        sum(map(len, lessons_of.values())),
        MAX_LESSONS,
    )
    for m, listed in lessons_of.items():
        too_many(
            _("%(module)s has %(count)d lessons; at most %(limit)d are allowed."),
            len(listed),
            MAX_LESSONS_PER_MODULE,
            module=_module_place(m),
        )
    if counts:
        return counts + sizes
    lessons = [
        (m, n, lesson)
        for m, listed in lessons_of.items()
        for n, lesson in enumerate(listed, start=1)
        if isinstance(lesson, dict)
    ]
    too_many(
        _("The course has %(count)d questions; at most %(limit)d are allowed."),
        sum(len(_listed(lesson, "questions")) for _m, _n, lesson in lessons),
        MAX_QUESTIONS,
    )
    for m, n, lesson in lessons:
        place = _lesson_place(m, n)
        too_many(
            _("%(lesson)s has %(count)d questions; at most %(limit)d are allowed."),
            len(_listed(lesson, "questions")),
            MAX_QUESTIONS_PER_LESSON,
            lesson=place,
        )
        too_large(
            place,
            lesson,
            "video_file",
            VIDEO_MAX_BYTES,
            _("the video “%(name)s” is %(size)s, more than the limit of %(limit)s."),
        )
        too_large(
            place,
            lesson,
            "attachment",
            ATTACHMENT_MAX_BYTES,
            _("the attachment “%(name)s” is %(size)s, more than the limit of %(limit)s."),
        )
    if counts:
        return counts + sizes
    questions = [
        (m, n, q, question)
        for m, n, lesson in lessons
        for q, question in enumerate(_listed(lesson, "questions"), start=1)
        if isinstance(question, dict)
    ]
    for m, n, q, question in questions:
        too_many(
            _("%(question)s has %(count)d choices; at most %(limit)d are allowed."),
            len(_listed(question, "choices")),
            MAX_CHOICES_PER_QUESTION,
            question=_question_place(m, n, q),
        )
    if counts:
        return counts + sizes
    text = (
        _text_bytes(course, COURSE_FIELDS)
        + sum(_text_bytes(module, ["title"]) for _m, module in modules)
        + sum(_text_bytes(lesson, LESSON_FIELDS) for _m, _n, lesson in lessons)
        + sum(_text_bytes(question, QUESTION_FIELDS) for *_place, question in questions)
        + sum(
            _text_bytes(choice, CHOICE_FIELDS)
            for *_place, question in questions
            for choice in _listed(question, "choices")
            if isinstance(choice, dict)
        )
    )
    if text > MAX_TEXT_BYTES:
        counts.append(
            _("The course text is %(size)s, more than the limit of %(limit)s.")
            % {"size": filesizeformat(text), "limit": filesizeformat(MAX_TEXT_BYTES)}
        )
    return counts + sizes


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


def _plan(reader: _Reader, data: dict, owner_unit: Unit) -> _Plan:
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
    audiences = data.get("audiences", [])
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        reader.problem(where, _("“%(field)s” must be a list of text.") % {"field": "audiences"})
        audiences = []
    elif any(INVALID_CHARACTERS.search(audience) for audience in audiences):
        reader.invalid(where, "audiences")
        audiences = []
    course.audiences = "," + ",".join(audiences) + "," if audiences else ""
    base = slugify(reader.text(data, "slug", where)) or slugify(course.title) or "khoa-hoc"
    course.slug = slug_unique(base=base)
    reader.validate(course, where, exclude=["cover_image"])
    cover = reader.media(data, "cover_image", where)
    if cover and not _cover_is_image(reader.archive, cover):
        reader.problem(where, _("the cover image is not a valid image."))
    plan = _Plan(course=course, cover=cover)
    for m_number, module_data in enumerate(reader.items(data, "modules", where), start=1):
        m_where = _module_place(m_number)
        module = Module(
            title=reader.text(module_data, "title", m_where),
            position=reader.number(module_data, "position", m_where, m_number),
        )
        reader.validate(module, m_where, exclude=["course"])
        lessons = []
        for l_number, lesson_data in enumerate(
            reader.items(module_data, "lessons", m_where), start=1
        ):
            l_where = _lesson_place(m_number, l_number)
            lessons.append(_plan_lesson(reader, lesson_data, l_where, l_number))
        plan.modules.append((module, lessons))
    return plan


def _plan_lesson(reader: _Reader, data: dict, where: str, number: int):
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
    questions = []
    for q_number, question_data in enumerate(reader.items(data, "questions", where), start=1):
        q_where = _("%(lesson)s, question %(number)d") % {"lesson": where, "number": q_number}
        question = Question(
            text=reader.text(question_data, "text", q_where),
            kind=reader.text(question_data, "kind", q_where, "single"),
            explanation=reader.text(question_data, "explanation", q_where),
            position=reader.number(question_data, "position", q_where, q_number),
        )
        reader.validate(question, q_where, exclude=["lesson"])
        choices = []
        for c_number, choice_data in enumerate(
            reader.items(question_data, "choices", q_where), start=1
        ):
            c_where = _("%(question)s, choice %(number)d") % {
                "question": q_where,
                "number": c_number,
            }
            choice = Choice(
                text=reader.text(choice_data, "text", c_where),
                is_correct=reader.flag(choice_data, "is_correct", c_where),
                position=reader.number(choice_data, "position", c_where, c_number),
            )
            reader.validate(choice, c_where, exclude=["question"])
            choices.append(choice)
        questions.append((question, choices))
    return lesson, files, questions


# Import: writing -------------------------------------------------------------------------


class _Store:
    """Copies archive members into storage once each, and can take them all back."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.saved: dict[str, str] = {}  # archive name -> stored name
        self.storages: list[tuple[Any, str]] = []

    def put(self, instance, field_name: str, member: str) -> None:
        if not member:
            return
        model_field = instance._meta.get_field(field_name)
        if member not in self.saved:
            filename = get_valid_filename(PurePosixPath(member).name) or "file"
            target = model_field.generate_filename(instance, filename)
            with self.archive.open(member) as stream:
                self.saved[member] = model_field.storage.save(
                    target, File(stream, name=filename), max_length=model_field.max_length
                )
            self.storages.append((model_field.storage, self.saved[member]))
        setattr(instance, field_name, self.saved[member])

    def remove_all(self) -> None:
        for storage, name in self.storages:
            storage.delete(name)


def _write(plan: _Plan, store: _Store) -> Course:
    course = plan.course
    store.put(course, "cover_image", plan.cover)
    course.save()
    for module, lessons in plan.modules:
        module.course = course
        module.save()
        for lesson, files, questions in lessons:
            lesson.module, lesson.course = module, course
            for name, member in files.items():
                store.put(lesson, name, member)
            lesson.save()
            for question, choices in questions:
                question.lesson = lesson
                question.save()
                for choice in choices:
                    choice.question = question
                Choice.objects.bulk_create(choices)
    services.course_search_text_refresh(course=course)
    return course


def _refuse(problems: list[str]) -> None:
    if problems:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        hidden = len(problems) - len(shown)
        if hidden:
            shown.append(_("…and %(count)d more problems.") % {"count": hidden})
        raise TransferError(*shown)


def course_import(*, upload: IO[bytes], owner_unit: Unit) -> Course:
    """Create a draft course owned by `owner_unit` from an export; raises TransferError."""
    archive = _open_archive(upload)
    with archive:
        data = _manifest(archive)
        _refuse(_limit_problems(archive, data))
        _check_members(archive)
        reader = _Reader(archive)
        plan = _plan(reader, data, owner_unit)
        _refuse(reader.problems)
        store = _Store(archive)
        try:
            with transaction.atomic():
                return _write(plan, store)
        except BaseException:
            store.remove_all()
            raise
