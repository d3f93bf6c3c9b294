"""Import, writing: the planned course saved in one transaction with its media copied into
storage; files stored before a failure are removed again, so a broken or hostile archive leaves
nothing behind. `course_import` runs the whole import: read, check, build, then write."""

import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from units.models import Unit

from ...models import Choice, Course
from .. import authoring
from . import limits
from .archive import TransferError, archive_members_check, archive_open
from .manifest import ManifestReader, manifest_read
from .plan import Plan, course_plan


class MediaStore:
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


def plan_write(plan: Plan, store: MediaStore) -> Course:
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
    authoring.course_search_text_refresh(course=course)
    return course


def _refuse(problems: list[str]) -> None:
    if problems:
        shown = problems[: limits.MAX_REPORTED_PROBLEMS]
        hidden = len(problems) - len(shown)
        if hidden:
            shown.append(_("…and %(count)d more problems.") % {"count": hidden})
        raise TransferError(*shown)


def course_import(*, upload: IO[bytes], owner_unit: Unit) -> Course:
    """Create a draft course owned by `owner_unit` from an export; raises TransferError."""
    archive = archive_open(upload)
    with archive:
        data = manifest_read(archive)
        _refuse(limits.limit_problems(archive, data))
        archive_members_check(archive)
        reader = ManifestReader(archive)
        plan = course_plan(reader, data, owner_unit)
        _refuse(reader.problems)
        store = MediaStore(archive)
        try:
            with transaction.atomic():
                return plan_write(plan, store)
        except BaseException:
            store.remove_all()
            raise
