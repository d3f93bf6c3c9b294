"""Learner changes made through the real services, as a running site makes them."""

import random
from collections import Counter

from accounts.models import User
from courses import services
from courses.models import Choice, Course, CourseStatus, Enrollment, Lesson, LessonKind, QuizAttempt

from ..dataset import LOAD_EMAIL_DOMAIN


def _correct_answers(lesson: Lesson) -> dict[int, set[int]]:
    answers: dict[int, set[int]] = {}
    for question in lesson.questions.all():
        correct = [c.pk for c in Choice.objects.filter(question=question, is_correct=True)]
        answers[question.pk] = set(correct[:1] if question.kind == "single" else correct)
    return answers


def learner_changes(*, count: int = 1000, seed: int = 42) -> Counter:
    """Change `count` generated enrolments through the real services (each marks its cell
    stale): the next lesson for part-way learners, a few leave, a few new enrolments."""
    rng = random.Random(seed)
    few = max(1, count // 50)
    generated = Enrollment.objects.filter(user__email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
    part_way = list(
        generated.filter(is_active=True, started_at__isnull=False, completed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(part_way, min(len(part_way), count - 2 * few))
    leaving = rng.sample(sorted(set(part_way) - set(chosen)), min(few, len(part_way) - len(chosen)))
    lessons: dict[int, list[int]] = {}
    answers: dict[int, dict] = {}
    done = Counter()
    for enrollment in (
        generated.filter(pk__in=chosen).select_related("user", "course").order_by("pk")
    ):
        ordered = lessons.setdefault(
            enrollment.course_id, services.course_lesson_ids(course_id=enrollment.course_id)
        )
        completed = set(enrollment.completions.values_list("lesson_id", flat=True))
        lesson = Lesson.objects.select_related("course").get(
            pk=next(pk for pk in ordered if pk not in completed)
        )
        if lesson.kind == LessonKind.QUIZ:
            if lesson.pk not in answers:
                answers[lesson.pk] = _correct_answers(lesson)
            tried = QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson).count()
            services.quiz_submit(
                user=enrollment.user,
                lesson=lesson,
                answers=answers[lesson.pk],
                attempt_number=tried + 1,
            )
            done["quiz passed"] += 1
        else:
            services.lesson_complete(user=enrollment.user, lesson=lesson)
            done["lesson completed"] += 1
    for enrollment in generated.filter(pk__in=leaving).order_by("pk"):
        services.enrollment_leave(enrollment=enrollment)
        done["left"] += 1
    courses = list(Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("pk"))
    learners = list(
        User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for user_id in rng.sample(learners, min(few * 3, len(learners))):
        if done["enrolled"] == few:
            break
        taken = set(Enrollment.objects.filter(user_id=user_id).values_list("course_id", flat=True))
        free = [c for c in courses if c.pk not in taken]
        if free:
            user = User.objects.select_related("workplace_unit", "home_unit").get(pk=user_id)
            services.enrollment_create(user=user, course=rng.choice(free))
            done["enrolled"] += 1
    return done
