"""The learner's pages measured two ways: server CPU and queries per request through Django's
handler (the test client, in this process), and requests per second from a real gunicorn,
against the minimal page served by the same gunicorn."""

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from courses import services
from courses.models import Course, CourseStatus
from units.models import Unit

from ..measure import QueryCounter

LEARNER_EMAIL = "bench.learner@example.invalid"
MINIMAL_URL = "/bench/minimal/"


def benchmark_learner() -> User:
    """The learner the page benchmarks sign in as, enrolled in the first published course."""
    learner = User.objects.filter(email=LEARNER_EMAIL).first()
    if learner is None:
        learner = User.objects.create_user(
            email=LEARNER_EMAIL,
            password=None,
            full_name="Học viên (đo hiệu năng)",
            home_unit=Unit.objects.filter(kind="ward").order_by("code").first(),
            audience_group="citizen",
        )
    return learner


def learner_urls(learner: User) -> dict[str, str]:
    """The pages, and (not a page) the address completing the first lesson."""
    course = Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("pk").first()
    services.enrollment_create(user=learner, course=course)
    first = course.lessons.order_by("module__position", "position").first()
    return {
        "complete": reverse("courses:lesson_complete", args=[course.slug, first.pk]),
        "minimal": MINIMAL_URL,
        "course": reverse("courses:course", args=[course.slug]),
        "lesson": reverse("courses:lesson", args=[course.slug, first.pk]),
        "catalogue": reverse("courses:catalogue") + "?q=an+toan",
        "my_learning": reverse("courses:my_learning"),
    }


def session_cookie(learner: User) -> str:
    """A signed-in session for the learner, as a log-in makes (a cookie value)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(learner.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = learner.get_session_auth_hash()
    session.save()
    return session.session_key


@dataclass
class PageCost:
    status: int
    queries: int
    cpu_ms: float  # median server CPU per request
    html_bytes: int


def page_cost(client: Client, url: str, requests: int) -> PageCost:
    response = client.get(url)  # warm-up: caches, templates
    with QueryCounter() as queries:
        response = client.get(url)
    cpu = []
    for _ in range(requests):
        started = time.process_time()
        client.get(url)
        cpu.append(time.process_time() - started)
    return PageCost(
        status=response.status_code,
        queries=queries.count,
        cpu_ms=round(statistics.median(cpu) * 1000, 2),
        html_bytes=len(response.content),
    )


# Throughput through gunicorn -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    """As the Dockerfile runs it: 2 × cores + 1 workers, 2 threads each."""
    workers = 2 * (os.cpu_count() or 1) + 1
    return [
        sys.executable, "-m", "gunicorn", "platform_app.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "2",
        "--keep-alive", "5", "--log-level", "warning",
    ]  # fmt: skip


def database_url() -> str:
    """The database this process uses, for the server it starts (a test database included)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class Gunicorn:
    def __init__(self):
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "loadtest.bench_settings",
            "DEBUG": "0",
            "DATABASE_URL": database_url(),
        }
        self.process = subprocess.Popen(
            gunicorn_command(self.port), env=env, cwd=Path(settings.BASE_DIR)
        )

    def __enter__(self):
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start within 60 s")
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", MINIMAL_URL, headers={"Host": "127.0.0.1"})
            return connection.getresponse().status == 200
        except OSError:
            return False

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def requests_per_second(port: int, url: str, cookie: str, *, seconds: float, clients: int) -> float:
    """Keep-alive clients in threads asking for `url` as fast as answers come back."""
    done = [0] * clients
    failed = []
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Host": "127.0.0.1", "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        while time.monotonic() < stop:
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failed.append(response.status)
                return
            done[index] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise RuntimeError(f"{url} answered {failed[0]} under load")
    return sum(done) / (time.monotonic() - started)


def throughput(urls: dict[str, str], cookie: str, *, rounds: int, seconds: float) -> dict:
    """The lesson page and the minimal page in alternation (the machine's speed drifts), from
    the same gunicorn: the median of each and their ratio."""
    clients = 2 * (2 * (os.cpu_count() or 1) + 1)
    measured: dict[str, list[float]] = {"minimal": [], "lesson": []}
    with Gunicorn() as server:
        for name in measured:  # warm-up of every worker's caches
            requests_per_second(server.port, urls[name], cookie, seconds=2, clients=clients)
        for _ in range(rounds):
            for name in measured:
                rate = requests_per_second(
                    server.port, urls[name], cookie, seconds=seconds, clients=clients
                )
                measured[name].append(rate)
    minimal = statistics.median(measured["minimal"])
    lesson = statistics.median(measured["lesson"])
    return {
        "minimal_rps": round(minimal, 1),
        "lesson_rps": round(lesson, 1),
        "lesson_over_minimal": round(lesson / minimal, 2),
        "throughput_clients": clients,
    }
