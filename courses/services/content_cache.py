"""The learner pages' content cache (courses.selectors) is forgotten whenever a course, module,
lesson, question or choice is saved or deleted (the model signals connected in courses.apps)."""

from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

from ..models import Choice, Course, Lesson, Module, Question
from ..selectors import content_version_key, course_by_slug_key


def course_content_changed(*, course_id: int, slug: str = "") -> None:
    """A course, module, lesson, question or choice changed: its cached content is forgotten
    once the transaction commits (a new version key), and so is the course found by address."""

    def forget():
        cache.set(content_version_key(course_id), uuid4().hex, None)
        cache.delete(course_by_slug_key(slug or _slug_of(course_id)))

    forget()  # readers inside this transaction see the change at once
    transaction.on_commit(forget, robust=True)


def _slug_of(course_id: int) -> str:
    return Course.objects.filter(pk=course_id).values_list("slug", flat=True).first() or ""


def _content_course_id(instance) -> int | None:
    if isinstance(instance, Course):
        return instance.pk
    if isinstance(instance, Module | Lesson):
        return instance.course_id
    if isinstance(instance, Question):
        return (
            Lesson.objects.filter(pk=instance.lesson_id).values_list("course_id", flat=True).first()
        )
    if isinstance(instance, Choice):
        return (
            Question.objects.filter(pk=instance.question_id)
            .values_list("lesson__course_id", flat=True)
            .first()
        )
    return None


def content_signal_received(sender, instance, **kwargs) -> None:
    course_id = _content_course_id(instance)
    if course_id is not None:
        course_content_changed(
            course_id=course_id, slug=instance.slug if isinstance(instance, Course) else ""
        )
