import pytest

from platform_app.celery import app
from platform_app.tasks import ping

pytestmark = pytest.mark.celery


def test_configuration_is_json_only_with_time_limits():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert app.conf.task_always_eager is False
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_a_real_worker_answers_through_the_broker(celery_worker):
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
