"""Rules of learning that both the reads (selectors) and the writes (services) apply; pure
functions of what they are given, no queries."""

import random

from .models import Course, Lesson


def lesson_is_locked(
    *, course: Course, lesson_id: int, ordered_ids: list[int], completed_ids: set[int]
) -> bool:
    if not course.sequential:
        return False
    index = ordered_ids.index(lesson_id)
    return index > 0 and ordered_ids[index - 1] not in completed_ids


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
