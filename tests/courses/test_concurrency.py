"""Two requests at the same instant (double click, two tabs) never write twice."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from courses.models import LessonCompletion, QuizAttempt
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build, quiz_answers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: the enrolment's row lock (SELECT ... FOR UPDATE) makes the "
        "second request wait, and SQLite has no row locks",
    ),
]


def fire_together(learner, url, data, times=2):
    """POST the same form from `times` threads released by one barrier."""
    barrier = threading.Barrier(times)
    statuses = []

    def send():
        from django.db import connections

        client = Client()
        sign_in(client, learner)
        barrier.wait()
        try:
            statuses.append(client.post(url, data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), "a request was still waiting after 30 s (a lock never freed?)"
    assert len(statuses) == times, f"{times - len(statuses)} of {times} requests raised"
    return sorted(statuses)


@pytest.fixture
def enrolled(units_tx):
    course = course_build()
    learner = UserFactory()
    client = Client()
    sign_in(client, learner)
    client.post(reverse("courses:enroll", args=[course.slug]))
    lessons = list(course.lessons.order_by("module__position", "position"))
    return course, learner, client, lessons


def test_two_completions_at_once_write_one(enrolled):
    course, learner, _client, lessons = enrolled
    url = reverse("courses:lesson_complete", args=[course.slug, lessons[0].pk])
    statuses = fire_together(learner, url, {}, times=4)
    assert statuses == [302, 302, 302, 302]
    assert LessonCompletion.objects.filter(lesson=lessons[0]).count() == 1


def test_two_quiz_submissions_at_once_count_one_attempt(enrolled):
    course, learner, client, lessons = enrolled
    for lesson in lessons[:-1]:
        client.post(reverse("courses:lesson_complete", args=[course.slug, lesson.pk]))
    quiz = lessons[-1]
    data = {"attempt": 1}
    for question_id, choices in quiz_answers(quiz, correct=False).items():
        data[f"q_{question_id}"] = [str(c) for c in choices]
    statuses = fire_together(learner, reverse("courses:quiz", args=[course.slug, quiz.pk]), data)
    assert statuses == [302, 409]
    assert QuizAttempt.objects.filter(lesson=quiz).count() == 1
