import time

import pytest
from django.urls import reverse

from platform_app.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_quickly_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 9 (discard): the broker is unreachable.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(app, "_pool", None, raising=False)
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"
    assert elapsed < 2


def test_home_page_is_vietnamese_by_default_and_english_on_request(client):
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html and "Kỹ năng số cho mọi người dân" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "Digital skills for every citizen" in html
