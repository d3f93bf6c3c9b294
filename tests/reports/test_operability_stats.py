"""Operability of the statistics engine: a lock that dies with its holder, runs that say they
failed, a run history that stays small, and a report cache that survives checks that change
nothing. Fault tests run real processes (`rebuild_stats`, a Celery worker) on the test database.
"""

import os
import re
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command, execute_from_command_line
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import services
from platform_app.celery import app
from reports import tasks
from reports.models import StatsRun
from reports.report_cache import report_body_key
from reports.stats import engine, runs, stats_incremental
from reports.stats.runs import engine_lock
from tests.accounts.factories import UserFactory, sign_in
from tests.courses.factories import course_build
from tests.reports.factories import COMMUNE_A, HAI_PHONG, official_of
from tests.reports.recount import recount, stored
from tests.waiting import wait_until
from units.models import Unit

POSTGRES = connection.vendor == "postgresql"


def database_url() -> str:
    """The test database, for a process started from a test (as tests/conftest.py's beat)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def manage(*args: str) -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]


class WorkerProcess:
    """A `celery worker` process of its own on the test database and the same broker."""

    def __init__(self):
        self.hostname = f"killable-{os.getpid()}@{socket.gethostname()}"
        command = [sys.executable, "-m", "celery", "-A", "platform_app", "worker"]
        command += ["--pool=solo", "--loglevel=WARNING", "--without-mingle", "--without-gossip"]
        self.process = subprocess.Popen(
            [*command, "-n", self.hostname],
            env={**os.environ, "DATABASE_URL": database_url()},
            cwd=settings.BASE_DIR,
        )

    def __enter__(self):
        wait_until(
            lambda: app.control.ping(destination=[self.hostname], timeout=0.5),
            timeout=60,
            message="the worker process never answered",
        )
        return self

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def learners_enrolled(count: int = 3):
    course = course_build(title="An toàn số", slug="an-toan-so")
    commune = Unit.objects.get(code=COMMUNE_A)
    for _ in range(count):
        services.enrollment_create(user=UserFactory(home_unit=commune), course=course)
    return course


def scalar(cursor, sql: str, params=()) -> int:
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


# A killed rebuild ------------------------------------------------------------------------

ONLY_POSTGRES = pytest.mark.skipif(
    not POSTGRES,
    reason="PostgreSQL only: the run is held mid-rebuild by a table lock and the lock under "
    "test is PostgreSQL's advisory lock; SQLite's cache lock is tested below",
)


@contextmanager
def rebuild_held_midway():
    """The rebuild reads the shards inside its transaction: it waits on this lock, midway."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE reports_leafshard IN ACCESS EXCLUSIVE MODE")
        yield cursor


def running_run(cursor, process: subprocess.Popen) -> StatsRun:
    """The rebuild's run, once the rebuild waits midway in `process`."""

    def waiting_on_the_shards() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the rebuild's process ended early ({process.returncode})")
        return scalar(
            cursor,
            "SELECT COUNT(*) FROM pg_locks "
            "WHERE relation = 'reports_leafshard'::regclass AND NOT granted",
        )

    wait_until(waiting_on_the_shards, timeout=60, message="the rebuild never got midway")
    run = StatsRun.objects.get()
    assert (run.kind, run.finished_at) == ("full", None)
    return run


def advisory_lock_released() -> None:
    """The server drops a dead client's idle session, and its locks, as soon as it sees the
    socket closed: milliseconds, not an expiry."""
    with connection.cursor() as cursor:
        wait_until(
            lambda: (
                not scalar(
                    cursor,
                    "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())",
                )
            ),
            timeout=10,
            message="the killed process's advisory lock is still held",
        )


@ONLY_POSTGRES
def test_a_rebuild_stats_killed_midway_frees_the_lock_at_once_and_shows_as_failed(client, units_tx):
    learners_enrolled()
    with rebuild_held_midway() as cursor:
        process = subprocess.Popen(
            manage("rebuild_stats"),
            env={**os.environ, "DATABASE_URL": database_url()},
            stdout=subprocess.DEVNULL,
        )
        try:
            dead = running_run(cursor, process)
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
    advisory_lock_released()

    run = stats_incremental()  # what beat starts every 20 s
    assert run is not None, "the next run was skipped: the killed rebuild's lock outlived it"
    assert run.pk is not None and run.finished_at is not None
    dead.refresh_from_db()
    assert dead.finished_at is None and dead.failed_at is not None
    assert dead.status == StatsRun.Status.FAILED
    assert stored() == recount()

    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    client.cookies["django_language"] = "en"
    html = client.get(reverse("admin:reports_statsrun_changelist")).content.decode()
    row = re.search(rf"<tr>(?:(?!</tr>).)*/statsrun/{dead.pk}/change/.*?</tr>", html, re.S)
    assert row, html
    assert re.search(r'class="field-status_label">Failed<', row.group(0)), row.group(0)

    rebuild = subprocess.run(
        manage("rebuild_stats", "--wait", "20"),
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuild.returncode == 0, rebuild.stderr
    assert rebuild.stdout.startswith("full: "), rebuild.stdout
    assert StatsRun.objects.filter(finished_at__isnull=False, kind="full").count() == 2


@ONLY_POSTGRES
@pytest.mark.celery
def test_a_worker_killed_during_a_rebuild_does_not_stop_the_next_run(celery_worker, units_tx):
    learners_enrolled()
    queue = app.amqp.router.route({}, tasks.stats_full_rebuild.name)["queue"].name  # "stats"
    # Only the worker process under test takes the rebuild.
    assert app.control.cancel_consumer(
        queue, destination=[celery_worker.hostname], reply=True, timeout=5
    )
    try:
        with rebuild_held_midway() as cursor, WorkerProcess() as worker:
            # Its message is not acknowledged (acks_late): expired by the time it comes back.
            tasks.stats_full_rebuild.apply_async(expires=120)
            dead = running_run(cursor, worker.process)
            worker.kill()
    finally:
        app.control.add_consumer(queue, destination=[celery_worker.hostname], reply=True, timeout=5)
    advisory_lock_released()

    run_id = tasks.stats_incremental.delay().get(timeout=60)  # the next scheduled run

    assert run_id is not None, "the next run was skipped: the killed worker's lock outlived it"
    assert StatsRun.objects.get(pk=run_id).status == StatsRun.Status.DONE
    dead.refresh_from_db()
    assert dead.status == StatsRun.Status.FAILED
    assert stored() == recount()


def test_rebuild_stats_waits_for_a_run_then_gives_up_in_one_line_with_status_1(units_tx, capsys):
    """As `manage.py rebuild_stats` runs it (which closes the connections as it exits)."""
    with engine_lock():
        with pytest.raises(SystemExit) as exited:
            execute_from_command_line(["manage.py", "rebuild_stats", "--wait", "1"])
    out, err = capsys.readouterr()
    assert exited.value.code == 1
    assert "waiting up to 1 s" in out
    assert "Traceback" not in err
    assert err.startswith("CommandError: ") and err.strip().count("\n") == 0, err
    assert "still in progress" in err
    assert not StatsRun.objects.exists()


def test_rebuild_stats_runs_at_once_when_nothing_holds_the_lock(units, capsys):
    learners_enrolled(1)
    call_command("rebuild_stats", "--wait", "0")
    assert capsys.readouterr().out.startswith("full: ")
    call_command("rebuild_stats", "--incremental", "--wait", "0")
    assert capsys.readouterr().out.startswith("incremental: 0 cells written")


def test_the_cache_lock_expires_unless_its_holder_renews_it(settings):
    """SQLite's lock (any cache works here): renewed while held, gone soon after its holder."""
    settings.STATS_CACHE_LOCK_TTL_S = 1
    holder, other = runs._CacheLock(), runs._CacheLock()
    assert holder.acquire()
    try:
        assert not other.acquire()
        # Three renewals take longer than the expiry: the entry was kept alive by them.
        wait_until(lambda: holder.renewals >= 3, timeout=10, message="the lock was not renewed")
        assert not other.acquire()
    finally:
        holder.stop_renewing()  # the holder dies: nobody renews nor deletes the entry
    wait_until(other.acquire, timeout=5, message="the dead holder's cache lock never expired")
    other.release()
    assert cache.get(runs.LOCK_KEY) is None


def test_a_run_that_fails_is_recorded_as_failed(units, monkeypatch):
    learners_enrolled(1)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "_recount_all", broken)
    with pytest.raises(RuntimeError):
        engine.stats_full_rebuild(wait_s=0)
    run = StatsRun.objects.get()
    assert run.status == StatsRun.Status.FAILED and run.finished_at is None


# A bounded run history -------------------------------------------------------------------


def page(code: str) -> str:
    return reverse("reports:unit", args=[code])


@pytest.mark.celery
def test_checks_that_change_nothing_add_no_run_and_keep_the_cached_report(
    client, celery_worker, units_tx
):
    course = learners_enrolled()
    official = official_of(HAI_PHONG)
    tasks.stats_full_rebuild.delay().get(timeout=60)
    sign_in(client, official)
    client.cookies["django_language"] = "en"
    first = client.get(page(HAI_PHONG))
    key = report_body_key(report=first.context["report"])
    assert cache.get(key) is not None
    runs = StatsRun.objects.count()

    for _ in range(5):
        tasks.stats_incremental.delay().get(timeout=60)

    added = StatsRun.objects.count() - runs
    assert added <= 1, f"five checks that changed nothing added {added} run rows"
    latest = StatsRun.objects.filter(finished_at__isnull=False).latest("finished_at")
    assert latest.checked_at is not None and latest.checked_at > latest.finished_at
    with CaptureQueriesContext(connection) as queries:
        again = client.get(page(HAI_PHONG))
    report = again.context["report"]
    assert report_body_key(report=report) == key
    assert not [q for q in queries if re.search(r"reports_(unitstat|dailystat)", q["sql"])]
    # The figures are the cached ones, and the page says when they were last checked.
    assert report.checked_at == latest.checked_at
    shown = timezone.localtime(latest.checked_at).strftime("%H:%M, %d/%m/%Y")
    assert f"Figures computed at {shown}" in again.content.decode()

    # A real change is a new run, with new figures at once.
    services.enrollment_create(
        user=UserFactory(home_unit=Unit.objects.get(code=COMMUNE_A)), course=course
    )
    tasks.stats_incremental.delay().get(timeout=60)
    assert StatsRun.objects.count() == runs + added + 1
    changed = client.get(page(HAI_PHONG))
    assert report_body_key(report=changed.context["report"]) != key
    assert changed.context["report"].summary.enrolled == 4


@pytest.mark.celery
def test_the_purge_keeps_full_rebuilds_the_latest_run_and_recent_ones(celery_worker, units_tx):
    now = timezone.now()

    def run(kind: str, age_days: float, **values) -> StatsRun:
        at = now - timedelta(days=age_days)
        return StatsRun.objects.create(kind=kind, started_at=at, finished_at=at, **values)

    old_full = run("full", 200)
    old_incremental = run("incremental", 90)
    old_failed = run("full", 80, failed_at=now - timedelta(days=80))
    StatsRun.objects.filter(pk=old_failed.pk).update(finished_at=None)
    old_dead = run("incremental", 70, failed_at=now - timedelta(days=70))
    StatsRun.objects.filter(pk=old_dead.pk).update(finished_at=None)
    latest = run("incremental", 45, checked_at=now)  # nothing changed since: still the latest
    recent_failed = run("incremental", 1, failed_at=now - timedelta(days=1))
    StatsRun.objects.filter(pk=recent_failed.pk).update(finished_at=None)

    purged = tasks.stats_runs_purge.delay().get(timeout=30)

    assert purged == 2
    kept = set(StatsRun.objects.values_list("pk", flat=True))
    assert kept == {old_full.pk, old_failed.pk, latest.pk, recent_failed.pk}
    assert old_incremental.pk not in kept and old_dead.pk not in kept
