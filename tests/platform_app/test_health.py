import time

import pytest
from django.urls import reverse

from platform_app.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_a_node_without_broker_stays_in_rotation_and_says_so_quickly(client, monkeypatch):
    # Nothing listens on port 9 (discard): the broker is unreachable.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app, "_pool", None, raising=False)
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "ok",
        "broker": "unavailable",
    }
    assert elapsed < 2


def test_with_redis_down_the_cache_is_reported_as_falling_back(
    client, private_redis, cache_on
):
    cache_on(private_redis.url)
    private_redis.stop()
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["cache"] == "fallback"
    assert response.json()["status"] == "degraded"


def test_without_the_database_the_node_leaves_rotation(client, monkeypatch):
    from platform_app import health

    monkeypatch.setattr(health, "database_ok", lambda: False)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_the_error_page_is_vietnamese_and_needs_no_database(
    client, settings, django_assert_num_queries
):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    settings.DEBUG = False
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in page and '<html lang="vi">' in page


def test_home_page_is_vietnamese_by_default_and_english_on_request(client):
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html and "Kỹ năng số cho mọi người dân" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "Digital skills for every citizen" in html
