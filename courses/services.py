"""Every change of a learner's state goes through one function here, atomically.

Each write also marks the learner's statistics cell stale in the same transaction, so the
statistics engine finds it from the database and nothing in the request waits for it.
"""

import random
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from accounts.services import ERASED_NAME
from accounts.signals import user_erased
from audit.models import AuditAction
from audit.services import audit_record

from . import errors
from .models import (
    Certificate,
    Choice,
    Course,
    CourseStatus,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonKind,
    Module,
    Question,
    QuizAttempt,
    StaleCell,
    local_day,
)
from .sanitize import text_fold


def stale_cell_mark(*, enrollment: Enrollment) -> None:
    if enrollment.unit_id is not None:
        StaleCell.objects.create(
            unit_id=enrollment.unit_id,
            course_id=enrollment.course_id,
            audience_group=enrollment.audience_group,
            shard=enrollment.stats_shard,
            day=local_day(enrollment.completed_at),
        )


@transaction.atomic
def enrollment_create(*, user: User, course: Course) -> Enrollment:
    """Enrol, or come back to a course left earlier with all progress kept."""
    if course.status != CourseStatus.PUBLISHED:
        raise errors.CourseNotOpen()
    unit = user.unit
    defaults = {
        "unit": unit,
        "unit_path": unit.path if unit else "",
        "audience_group": user.audience_group,
    }
    try:
        with transaction.atomic():
            enrollment, created = Enrollment.objects.get_or_create(
                user=user, course=course, defaults=defaults
            )
    except IntegrityError:  # a concurrent request enrolled first
        enrollment, created = Enrollment.objects.get(user=user, course=course), False
    if not created and enrollment.is_active:
        return enrollment
    if not created:
        enrollment.is_active = True
        enrollment.left_at = None
        enrollment.save(update_fields=["is_active", "left_at", "updated_at"])
    stale_cell_mark(enrollment=enrollment)
    return enrollment


@transaction.atomic
def enrollment_leave(*, enrollment: Enrollment) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.is_active:
        enrollment.is_active = False
        enrollment.left_at = timezone.now()
        enrollment.save(update_fields=["is_active", "left_at", "updated_at"])
        stale_cell_mark(enrollment=enrollment)
    return enrollment


def course_lesson_ids(*, course_id: int) -> list[int]:
    """The course's lessons in learning order."""
    return list(
        Lesson.objects.filter(course_id=course_id)
        .order_by("module__position", "module_id", "position", "id")
        .values_list("id", flat=True)
    )


def lesson_is_locked(
    *, course: Course, lesson_id: int, ordered_ids: list[int], completed_ids: set[int]
) -> bool:
    if not course.sequential:
        return False
    index = ordered_ids.index(lesson_id)
    return index > 0 and ordered_ids[index - 1] not in completed_ids


def _locked_enrollment(*, user: User, course: Course) -> Enrollment:
    """The learner's active enrolment, row-locked so concurrent requests take turns."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(user=user, course=course, is_active=True)
        .first()
    )
    if enrollment is None:
        raise errors.NotEnrolled()
    return enrollment


def _check_unlocked(*, enrollment: Enrollment, lesson: Lesson) -> tuple[list[int], set[int]]:
    ordered_ids = course_lesson_ids(course_id=lesson.course_id)
    completed_ids = set(
        LessonCompletion.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
    )
    if lesson_is_locked(
        course=lesson.course,
        lesson_id=lesson.pk,
        ordered_ids=ordered_ids,
        completed_ids=completed_ids,
    ):
        raise errors.LessonLocked()
    return ordered_ids, completed_ids


def _record_completion(
    *, enrollment: Enrollment, lesson: Lesson, ordered_ids: list[int], completed_ids: set[int]
) -> None:
    """Write the completion fact, then derive progress, completion and certificate from facts."""
    now = timezone.now()
    if lesson.pk not in completed_ids:
        LessonCompletion.objects.create(enrollment=enrollment, lesson=lesson, completed_at=now)
        completed_ids = completed_ids | {lesson.pk}
    done = len(completed_ids & set(ordered_ids))
    total = len(ordered_ids)
    enrollment.completed_lessons = done
    enrollment.progress_percent = (100 * done) // total if total else 0
    enrollment.started_at = enrollment.started_at or now
    enrollment.last_lesson = lesson
    if total > 0 and done == total and enrollment.completed_at is None:
        _complete(enrollment, course_title=lesson.course.title, at=now)
    else:
        enrollment.save()
    stale_cell_mark(enrollment=enrollment)


def _complete(enrollment: Enrollment, *, course_title: str, at) -> None:
    enrollment.completed_at = at
    enrollment.certified = True
    enrollment.save()
    Certificate.objects.get_or_create(
        enrollment=enrollment,
        defaults={"full_name": enrollment.user.full_name, "course_title": course_title},
    )


@transaction.atomic
def course_progress_refresh(*, course: Course) -> int:
    """After lessons were removed: every enrolment's progress is derived from its facts again,
    and whoever has now done every lesson completes and is certified. Returns how many did."""
    total = Lesson.objects.filter(course=course).count()
    done = Subquery(
        LessonCompletion.objects.filter(enrollment=OuterRef("pk"))
        .values("enrollment")
        .annotate(count=Count("id"))
        .values("count"),
        output_field=IntegerField(),
    )
    enrollments = Enrollment.objects.filter(course=course)
    enrollments.update(completed_lessons=Coalesce(done, 0))
    enrollments.update(progress_percent=F("completed_lessons") * 100 / total if total else Value(0))
    finished = list(
        enrollments.select_for_update()
        .select_related("user")
        .filter(is_active=True, completed_at__isnull=True, completed_lessons__gte=total)
        .exclude(completed_lessons=0)
    )
    now = timezone.now()
    for enrollment in finished:
        _complete(enrollment, course_title=course.title, at=now)
        stale_cell_mark(enrollment=enrollment)
    # The statistics engine recounts a course whose updated_at moved, everywhere.
    Course.objects.filter(pk=course.pk).update(updated_at=now)
    return len(finished)


@transaction.atomic
def lesson_complete(*, user: User, lesson: Lesson) -> Enrollment:
    """Mark a reading, video or attachment lesson complete. Repeating it changes nothing."""
    if lesson.kind == LessonKind.QUIZ:
        raise errors.WrongLessonKind()
    enrollment = _locked_enrollment(user=user, course=lesson.course)
    ordered_ids, completed_ids = _check_unlocked(enrollment=enrollment, lesson=lesson)
    if lesson.pk in completed_ids:
        return enrollment
    _record_completion(
        enrollment=enrollment, lesson=lesson, ordered_ids=ordered_ids, completed_ids=completed_ids
    )
    return enrollment


@dataclass(frozen=True)
class QuizResult:
    attempt: QuizAttempt
    enrollment: Enrollment


def quiz_score(*, lesson: Lesson, answers: dict[int, set[int]]) -> tuple[int, dict]:
    """Score on the server: a question counts only when exactly its correct choices are chosen."""
    questions = list(lesson.questions.prefetch_related("choices"))
    valid = {q.pk: {c.pk for c in q.choices.all()} for q in questions}
    for question_id, chosen in answers.items():
        if question_id not in valid or not chosen <= valid[question_id]:
            raise errors.InvalidAnswer()
    right = 0
    for question in questions:
        correct = {c.pk for c in question.choices.all() if c.is_correct}
        chosen = answers.get(question.pk, set())
        if question.kind == "single" and len(chosen) > 1:
            raise errors.InvalidAnswer()
        right += chosen == correct
    score = (100 * right) // len(questions) if questions else 0
    return score, {str(qid): sorted(chosen) for qid, chosen in answers.items()}


@transaction.atomic
def quiz_submit(
    *, user: User, lesson: Lesson, answers: dict[int, set[int]], attempt_number: int
) -> QuizResult:
    """Score one attempt. `attempt_number` is what the page was showing: a second copy of the
    same submission (double click, second tab) is refused instead of counted twice."""
    if lesson.kind != LessonKind.QUIZ:
        raise errors.WrongLessonKind()
    enrollment = _locked_enrollment(user=user, course=lesson.course)
    ordered_ids, completed_ids = _check_unlocked(enrollment=enrollment, lesson=lesson)
    previous = QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson).count()
    if attempt_number != previous + 1:
        raise errors.AlreadySubmitted()
    if lesson.pk in completed_ids:
        raise errors.AlreadyPassed()
    if lesson.max_attempts and previous >= lesson.max_attempts:
        raise errors.AttemptLimitReached()
    score, stored = quiz_score(lesson=lesson, answers=answers)
    attempt = QuizAttempt.objects.create(
        enrollment=enrollment,
        lesson=lesson,
        number=attempt_number,
        score_percent=score,
        passed=score >= lesson.pass_mark,
        answers=stored,
    )
    if attempt.passed:
        _record_completion(
            enrollment=enrollment,
            lesson=lesson,
            ordered_ids=ordered_ids,
            completed_ids=completed_ids,
        )
    else:
        enrollment.started_at = enrollment.started_at or timezone.now()
        enrollment.last_lesson = lesson
        enrollment.save(update_fields=["started_at", "last_lesson", "updated_at"])
    return QuizResult(attempt=attempt, enrollment=enrollment)


def quiz_question_order(*, lesson: Lesson, questions: list, seed: str) -> list:
    """Shuffle questions and choices per learner and attempt, stable across reloads."""
    if not lesson.shuffle:
        return questions
    rng = random.Random(seed)
    questions = list(questions)
    rng.shuffle(questions)
    for question in questions:
        choices = list(question.choices.all())
        rng.shuffle(choices)
        question.shuffled_choices = choices
    return questions


@transaction.atomic
@transaction.atomic
def certificate_revoke(
    *, certificate: Certificate, reason: str, actor: User | None = None, request=None
) -> Certificate:
    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_reason"])
        enrollment = certificate.enrollment
        enrollment.certified = False
        enrollment.save(update_fields=["certified", "updated_at"])
        stale_cell_mark(enrollment=enrollment)
        audit_record(
            actor=actor,
            action=AuditAction.CERTIFICATE_REVOKED,
            target=certificate,
            target_repr=f"{certificate.code} — {certificate.full_name}",
            details={"reason": reason, "course": certificate.course_title},
            request=request,
        )
    return certificate


def course_search_text_refresh(*, course: Course) -> None:
    """Accent-folded text the catalogue searches, so "ky nang so" finds "Kỹ năng số"."""
    lesson_titles = " ".join(course.lessons.values_list("title", flat=True))
    course.search_text = text_fold(
        f"{course.title} {course.summary} {course.description} {lesson_titles}"
    )
    Course.objects.filter(pk=course.pk).update(search_text=course.search_text)


@transaction.atomic
def assignment_create(
    *, course: Course, unit, audience_group: str, due_date, created_by: User | None = None
):
    from .models import Assignment

    assignment = Assignment(
        course=course,
        unit=unit,
        audience_group=audience_group,
        due_date=due_date,
        created_by=created_by,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def assignment_delete(*, assignment) -> None:
    """Deleting leaves no row behind, so the course is touched for the statistics to notice."""
    course_id = assignment.course_id
    assignment.delete()
    Course.objects.filter(pk=course_id).update(updated_at=timezone.now())


@receiver(user_erased, dispatch_uid="courses.certificates_anonymise")
def _certificates_anonymise(sender, user, **kwargs) -> None:
    """An erased learner's certificates still verify, under no name."""
    Certificate.objects.filter(enrollment__user=user).update(full_name=ERASED_NAME)


# The content cache (courses.selectors) -----------------------------------------------------


def course_content_changed(*, course_id: int, slug: str = "") -> None:
    """A course, module, lesson, question or choice changed: its cached content is forgotten
    once the transaction commits (a new version key), and so is the course found by address."""
    from uuid import uuid4

    from django.core.cache import cache

    from .selectors import content_version_key, course_by_slug_key

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
