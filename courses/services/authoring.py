"""Writes behind the authoring admin: publishing rules, status workflow, content, copies, and
the accent-folded text the catalogue searches.

The admin only parses and shows; every rule here holds whichever screen (or script) calls it.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record

from ..models import (
    Choice,
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
    Module,
    Question,
    QuestionKind,
)
from ..sanitize import html_sanitize, text_fold

COPY_SUFFIX = "ban-sao"
SLUG_MAX_LENGTH = Course._meta.get_field("slug").max_length
TITLE_MAX_LENGTH = Course._meta.get_field("title").max_length


# Rules -------------------------------------------------------------------------------------


def choice_problems(*, kind: str, correct: list[bool]) -> list[str]:
    """What is wrong with a question's choices (`correct`: one flag per choice)."""
    problems = []
    if len(correct) < 2:
        problems.append(_("A question needs at least two choices."))
    right = sum(correct)
    if right == 0:
        problems.append(_("Mark at least one choice as correct."))
    elif kind == QuestionKind.SINGLE and right > 1:
        problems.append(_("A single-choice question must have exactly one correct choice."))
    return problems


def course_publish_problems(*, course: Course) -> list[str]:
    """Everything that stops a course from being published; empty when it is ready."""
    if course.pk is None:
        return [_("Add at least one lesson before publishing.")]
    lessons = list(Lesson.objects.filter(course=course).only("id", "title", "kind"))
    if not lessons:
        return [_("Add at least one lesson before publishing.")]
    problems = []
    quiz_ids = [lesson.pk for lesson in lessons if lesson.kind == LessonKind.QUIZ]
    questions = list(
        Question.objects.filter(lesson_id__in=quiz_ids).prefetch_related("choices").order_by()
    )
    with_questions = {question.lesson_id for question in questions}
    for lesson in lessons:
        if lesson.pk in quiz_ids and lesson.pk not in with_questions:
            problems.append(_("The quiz “%(lesson)s” has no questions.") % {"lesson": lesson})
    for question in questions:
        flags = [choice.is_correct for choice in question.choices.all()]
        for problem in choice_problems(kind=question.kind, correct=flags):
            problems.append(
                _("Question “%(question)s”: %(problem)s")
                % {"question": question, "problem": problem}
            )
    return problems


# Status workflow ---------------------------------------------------------------------------


def _locked(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


def _status_move(course: Course, status: str, *, actor, request) -> Course:
    """Move the locked course to `status`, unless it is there already, and record who did."""
    if course.status == status:
        return course
    was = course.status
    course.status = status
    # updated_at moves too: the statistics engine re-reads courses that changed status.
    fields = ["status", "updated_at"]
    if status == CourseStatus.PUBLISHED:
        course.published_at = timezone.now()
        fields.append("published_at")
    course.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.COURSE_STATUS_CHANGED,
        target=course,
        details={"from": was, "to": status},
        request=request,
    )
    return course


@transaction.atomic
def course_publish(*, course: Course, actor=None, request=None) -> Course:
    """Open the course to learners; refused with every problem listed when it is not ready."""
    course = _locked(course)
    problems = course_publish_problems(course=course)
    if problems:
        raise ValidationError(problems)
    return _status_move(course, CourseStatus.PUBLISHED, actor=actor, request=request)


@transaction.atomic
def course_archive(*, course: Course, actor=None, request=None) -> Course:
    """Close the course to new learners; progress and certificates stay."""
    return _status_move(_locked(course), CourseStatus.ARCHIVED, actor=actor, request=request)


@transaction.atomic
def course_unpublish(*, course: Course, actor=None, request=None) -> Course:
    """Back to draft: hidden from the catalogue while it is being reworked."""
    return _status_move(_locked(course), CourseStatus.DRAFT, actor=actor, request=request)


def course_status_set(*, course: Course, status: str, actor=None, request=None) -> Course:
    actions = {
        CourseStatus.PUBLISHED: course_publish,
        CourseStatus.ARCHIVED: course_archive,
        CourseStatus.DRAFT: course_unpublish,
    }
    return actions[CourseStatus(status)](course=course, actor=actor, request=request)


# Content -----------------------------------------------------------------------------------


def next_position(queryset: QuerySet) -> int:
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


def course_search_text_refresh(*, course: Course) -> None:
    """Accent-folded text the catalogue searches, so "ky nang so" finds "Kỹ năng số"."""
    lesson_titles = " ".join(course.lessons.values_list("title", flat=True))
    course.search_text = text_fold(
        f"{course.title} {course.summary} {course.description} {lesson_titles}"
    )
    Course.objects.filter(pk=course.pk).update(search_text=course.search_text)


def lesson_save(*, lesson: Lesson) -> Lesson:
    """Save a lesson written in the admin: clean HTML, course copied from the module."""
    lesson.body = html_sanitize(lesson.body)
    lesson.course_id = lesson.module.course_id
    if not lesson.position:
        lesson.position = next_position(Lesson.objects.filter(module_id=lesson.module_id))
    lesson.full_clean()
    lesson.save()
    course_search_text_refresh(course=lesson.course)
    return lesson


def slug_unique(*, base: str) -> str:
    """`base`, or `base-2`, `base-3`… whichever is free (one query)."""
    base = base[: SLUG_MAX_LENGTH - 6].strip("-") or "khoa-hoc"
    taken = set(Course.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _copy_base(slug: str) -> str:
    """ "abc", "abc-ban-sao" and "abc-ban-sao-3" all copy to "abc-ban-sao[-n]"."""
    root = re.sub(rf"-{COPY_SUFFIX}(-\d+)?$", "", slug)
    return f"{root[: SLUG_MAX_LENGTH - len(COPY_SUFFIX) - 8]}-{COPY_SUFFIX}"


def _clone(instance, **changes):
    instance.pk = None
    instance._state.adding = True
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save()
    return instance


@transaction.atomic
def course_duplicate(*, course: Course) -> Course:
    """A draft copy with every module, lesson, question and choice; files are shared, not
    copied (the copy points at the same stored names)."""
    source_id = course.pk
    title = _("%(title)s (copy)") % {"title": course.title}
    copy = _clone(
        Course.objects.get(pk=source_id),
        id=None,
        slug=slug_unique(base=_copy_base(course.slug)),
        title=title[:TITLE_MAX_LENGTH],
        status=CourseStatus.DRAFT,
        published_at=None,
        featured=False,
    )
    modules = {}
    for module in Module.objects.filter(course_id=source_id):
        old_id = module.pk
        modules[old_id] = _clone(module, id=None, course=copy).pk
    lessons = {}
    for lesson in Lesson.objects.filter(course_id=source_id):
        old_id = lesson.pk
        lessons[old_id] = _clone(
            lesson, id=None, course=copy, module_id=modules[lesson.module_id]
        ).pk
    choices = []
    for question in Question.objects.filter(lesson__course_id=source_id).prefetch_related(
        "choices"
    ):
        old_choices = list(question.choices.all())
        new_question = _clone(question, id=None, lesson_id=lessons[question.lesson_id])
        choices += [
            Choice(question=new_question, text=c.text, is_correct=c.is_correct, position=c.position)
            for c in old_choices
        ]
    Choice.objects.bulk_create(choices)
    course_search_text_refresh(course=copy)
    return copy
