"""Redis stops answering: learners keep logging in and learning, log-in limits keep counting,
nothing is lost, and what changed meanwhile is not served stale when Redis comes back. Each test
breaks a redis-server of its own (tests.faults), never the machine's."""

import signal

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from courses.models import LessonCompletion
from reports import tasks
from reports.models import UnitStat
from tests.accounts.factories import PASSWORD, UserFactory
from tests.courses.factories import course_build


def log_in(client, user, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


@pytest.mark.django_db
def test_the_cache_falls_back_to_the_database_and_back(units, private_redis, cache_on):
    cache_on(private_redis.url)
    cache.set("kept", "before")
    cache.set("ended", "session")
    private_redis.process.send_signal(signal.SIGSTOP)  # unreachable, its data kept
    try:
        assert cache.get("kept") is None  # the table knows nothing of it: a miss, no error
        cache.set("written", "during")
        assert cache.get("written") == "during"
        cache.delete("ended")
        assert cache.add("lock", 1) is True and cache.add("lock", 1) is False
    finally:
        private_redis.process.send_signal(signal.SIGCONT)
    cache._down_until = 0  # the retry interval is over

    # Back on Redis: what the outage changed is not served from Redis's old copy.
    assert cache.get("ended") is None
    assert cache.get("kept") == "before"
    assert cache.get("written") is None  # gone with the table, never half-known
    assert cache.fallback.get("written") is None


@pytest.mark.django_db(transaction=True)
def test_learners_keep_learning_with_redis_down_and_the_figures_follow(
    units_tx, private_redis, cache_on, client, celery_worker
):
    course = course_build(title="Dịch vụ công", modules=1, lessons_per_module=1, quiz=False)
    lesson = course.lessons.get()
    learner = UserFactory()
    cache_on(private_redis.url)
    private_redis.stop()

    answers = [log_in(client, learner)]
    assert SESSION_KEY in client.session
    answers.append(client.get(reverse("courses:my_learning")))
    answers.append(client.post(reverse("courses:enroll", args=[course.slug])))
    answers.append(
        client.post(reverse("courses:lesson_complete", args=[course.slug, lesson.pk]))
    )
    assert [a.status_code for a in answers] == [302, 200, 302, 302]
    assert LessonCompletion.objects.filter(enrollment__user=learner, lesson=lesson).exists()

    private_redis.start()  # empty, as a restarted Redis is
    tasks.stats_incremental.delay().get(timeout=60)
    cell = UnitStat.objects.get(unit=learner.home_unit, course_key=course.pk, audience_group="*")
    assert (cell.enrolled, cell.completed) == (1, 1)


@pytest.mark.django_db
def test_failed_log_ins_are_still_limited_with_redis_down(units, private_redis, cache_on, client):
    cache_on(private_redis.url)
    learner = UserFactory()
    private_redis.stop()
    for n in range(5):
        log_in(client, learner, password=f"sai-{n}")
    response = log_in(client, learner)
    assert "đăng nhập không thành công quá nhiều lần" in response.content.decode()
    assert SESSION_KEY not in client.session
