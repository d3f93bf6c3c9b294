"""How far each generated learner got in each course: plans of the courses read once from the
database, then, per enrolment, the lessons completed and quiz attempts as `courses.services`
would have recorded them."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from accounts.models import AudienceGroup
from courses.models import Choice, Course, Lesson, LessonKind
from courses.services import course_lesson_ids

# (not started, part-way, completed): officials have a 100% target in 2025, so they are ahead.
# Over the group mix this is about 20% / 45% / 35%.
PROGRESS_MIX = {
    AudienceGroup.CITIZEN: (0.25, 0.50, 0.25),
    AudienceGroup.OFFICIAL: (0.10, 0.35, 0.55),
    AudienceGroup.WORKER: (0.25, 0.50, 0.25),
    AudienceGroup.STUDENT: (0.20, 0.40, 0.40),
}
COMPLETION_WINDOW_DAYS = 120
ENROLMENT_WINDOW_DAYS = 150


@dataclass
class QuizPlan:
    max_attempts: int
    passing: list[tuple[int, dict]]  # (score, stored answers) a passing attempt may show
    failing: list[tuple[int, dict]]


@dataclass
class CoursePlan:
    id: int
    title: str
    lesson_ids: list[int]
    quizzes: dict[int, QuizPlan]  # by lesson id


def _answers(questions, choices: dict[int, list], wrong: set[int]) -> tuple[int, dict]:
    """Stored answers and score as quiz_score would give them, wrong on the given questions."""
    right, stored = 0, {}
    for question in questions:
        correct = sorted(c.pk for c in choices[question.pk] if c.is_correct)
        incorrect = sorted(c.pk for c in choices[question.pk] if not c.is_correct)
        if question.pk in wrong and incorrect:
            chosen = incorrect[:1]
        else:
            chosen = correct[:1] if question.kind == "single" else correct
        right += chosen == correct
        stored[str(question.pk)] = chosen
    return ((100 * right) // len(questions) if questions else 100), stored


def _quiz_plan(lesson: Lesson) -> QuizPlan:
    questions = list(lesson.questions.order_by("position", "id"))
    choices = Choice.objects.filter(question__in=questions).order_by("position", "id")
    by_question: dict[int, list] = {q.pk: [] for q in questions}
    for choice in choices:
        by_question[choice.question_id].append(choice)
    variants = [
        _answers(questions, by_question, {q.pk for q in questions[:n]})
        for n in range(len(questions) + 1)
    ]
    passing = [v for v in variants if v[0] >= lesson.pass_mark][:2]
    failing = [v for v in variants if v[0] < lesson.pass_mark][:2]
    return QuizPlan(
        max_attempts=lesson.max_attempts, passing=passing or variants[:1], failing=failing
    )


def course_plans(courses: list[Course]) -> list[CoursePlan]:
    plans = []
    for course in courses:
        lesson_ids = course_lesson_ids(course_id=course.pk)
        quizzes = {
            lesson.pk: _quiz_plan(lesson)
            for lesson in Lesson.objects.filter(course=course, kind=LessonKind.QUIZ)
        }
        if lesson_ids:
            plans.append(CoursePlan(course.pk, course.title, lesson_ids, quizzes))
    return plans


def ago(rng: random.Random, max_days: float) -> timedelta:
    """A random span of up to `max_days` days."""
    return timedelta(seconds=rng.uniform(0, max_days * 86400))


def enrolment_plan(rng: random.Random, now: datetime, plan: CoursePlan, group: str) -> dict:
    """Progress as courses.services would have left it after the learner's steps."""
    total = len(plan.lesson_ids)
    not_started, part_way, _completed = PROGRESS_MIX[group]
    roll = rng.random()
    e = {"course": plan, "completions": [], "attempts": [], "last_lesson": None}
    e["started_at"] = e["completed_at"] = None
    if roll < not_started or (total == 1 and roll < not_started + part_way):
        e["enrolled_at"] = now - ago(rng, ENROLMENT_WINDOW_DAYS)
        e["progress_percent"] = 0
        return e
    if roll < not_started + part_way:
        done = rng.randint(1, total - 1)
        end = now - ago(rng, COMPLETION_WINDOW_DAYS)
    else:
        done = total
        end = e["completed_at"] = now - ago(rng, COMPLETION_WINDOW_DAYS)
    started = end - timedelta(minutes=20) - ago(rng, 10)
    e["started_at"] = started
    e["enrolled_at"] = started - ago(rng, 3)
    step = (end - started) / (done - 1) if done > 1 else timedelta(0)
    for index, lesson in enumerate(plan.lesson_ids[:done]):
        at = started + step * index
        quiz = plan.quizzes.get(lesson)
        if quiz is not None:
            number = 1
            if index and quiz.failing and quiz.max_attempts != 1 and rng.random() < 0.25:
                score, answers = rng.choice(quiz.failing)
                e["attempts"].append((lesson, 1, score, False, answers, at - step / 2))
                number = 2
            score, answers = rng.choice(quiz.passing)
            e["attempts"].append((lesson, number, score, True, answers, at))
        e["completions"].append((lesson, at))
    e["last_lesson"] = plan.lesson_ids[done - 1]
    e["progress_percent"] = (100 * done) // total
    following = plan.lesson_ids[done] if done < total else None
    quiz = plan.quizzes.get(following)
    # Some failed the test once or twice (always with a try left): quiz_submit then leaves
    # last_lesson on the quiz.
    tries_left = quiz.max_attempts - 1 if quiz and quiz.max_attempts else 2
    if quiz is not None and quiz.failing and tries_left >= 1 and rng.random() < 0.4:
        for number in range(1, rng.randint(1, min(2, tries_left)) + 1):
            score, answers = rng.choice(quiz.failing)
            at = e["completions"][-1][1] + timedelta(minutes=10 * number)
            e["attempts"].append((following, number, score, False, answers, at))
        e["last_lesson"] = following
    return e
