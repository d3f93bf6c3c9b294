"""Every change of a learner's state in a course goes through one function here, atomically:
enrol, leave, complete a lesson, submit a quiz, and progress derived again after lessons were
removed. Each write marks the learner's statistics cell stale in the same transaction."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User

from .. import errors
from ..models import (
    Certificate,
    Course,
    CourseStatus,
    Enrollment,
    Lesson,
    LessonCompletion,
    LessonKind,
    QuizAttempt,
)
from ..rules import lesson_is_locked
from ..selectors import course_lesson_ids
from .stale_cells import stale_cell_mark


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
