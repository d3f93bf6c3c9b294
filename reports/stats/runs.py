"""The statistics runs: one at a time under a lock that dies with its holder, a run left
unfinished by a dead process shown as failed, and a history that stays small.

The lock. On PostgreSQL, a session-level advisory lock taken on a connection of its own and
held for the whole run: when the holder's process dies, its connections close and the server
releases the lock at once (TCP keepalives bound the wait when a whole machine vanishes; a
connection pooler in transaction mode would break session locks: connect the worker directly).
Elsewhere (SQLite, one machine) a cache entry with a short expiry that a thread of the holder
renews, so a dead holder blocks the next run for STATS_CACHE_LOCK_TTL_S at most.

The history. Only runs that change figures are stored, and full rebuilds from their start: a
check that changes nothing moves the latest run's `checked_at` and watermarks instead. Runs
older than STATS_RUN_RETENTION_DAYS are purged daily, except full rebuilds and the latest run.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F
from django.db.utils import load_backend
from django.utils import timezone

from ..models import StatsRun
from ..report_cache import report_meta_forget

logger = logging.getLogger(__name__)

LOCK_KEY = "reports:stats-engine-lock"
ADVISORY_LOCK_ID = 0x7265706F727473  # "reports": one lock per database
# The lock's connection notices a vanished peer within about a minute.
LOCK_CONNECTION_OPTIONS = {
    "application_name": "statistics lock",
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
LOCK_POLL_S = 0.5
WAIT_NOTICE_S = 30
PURGE_BATCH = 10_000


class EngineBusy(Exception):
    """Another run holds the lock."""


class _AdvisoryLock:
    def __init__(self):
        db = connections.settings[DEFAULT_DB_ALIAS]
        options = {**db.get("OPTIONS", {}), **LOCK_CONNECTION_OPTIONS}
        backend = load_backend(db["ENGINE"])
        self.connection = backend.DatabaseWrapper({**db, "OPTIONS": options}, DEFAULT_DB_ALIAS)
        self.held = False

    def acquire(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_ID])
            self.held = cursor.fetchone()[0]
        return self.held

    def release(self) -> None:
        try:
            if self.held:
                with self.connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_ID])
        finally:
            self.connection.close()  # the server releases the lock with the session anyway


class _CacheLock:
    def __init__(self):
        self.token = uuid.uuid4().hex
        self.ttl = settings.STATS_CACHE_LOCK_TTL_S
        self.renewals = 0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        if not cache.add(LOCK_KEY, self.token, self.ttl):
            return False
        self._renewer = threading.Thread(
            target=self._renew, name="statistics-lock-renewal", daemon=True
        )
        self._renewer.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if cache.get(LOCK_KEY) != self.token or not cache.touch(LOCK_KEY, self.ttl):
                    logger.warning("statistics lock lost: another run may start meanwhile")
                    return
                self.renewals += 1
            except Exception:
                logger.warning("statistics lock not renewed", exc_info=True)

    def stop_renewing(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()

    def release(self) -> None:
        self.stop_renewing()
        if self._renewer is not None and cache.get(LOCK_KEY) == self.token:
            cache.delete(LOCK_KEY)


@contextmanager
def engine_lock(wait_s: float = 0, *, on_wait: Callable[[float], None] | None = None):
    """One run at a time across workers and machines; waits up to `wait_s` seconds for a run
    in progress, calling `on_wait(seconds left)` when it starts waiting and every
    WAIT_NOTICE_S after, and raises EngineBusy when the wait is over."""
    lock = _AdvisoryLock() if connection.vendor == "postgresql" else _CacheLock()
    deadline = time.monotonic() + wait_s
    notice = time.monotonic()
    try:
        while not lock.acquire():
            now = time.monotonic()
            if now >= deadline:
                raise EngineBusy
            if on_wait is not None and now >= notice:
                on_wait(deadline - now)
                notice = now + WAIT_NOTICE_S
            time.sleep(min(LOCK_POLL_S, deadline - now))
        yield
    finally:
        lock.release()


def runs_reap() -> int:
    """Mark failed the runs left unfinished. Called with the lock held: their process died."""
    reaped = StatsRun.objects.filter(finished_at__isnull=True, failed_at__isnull=True).update(
        failed_at=timezone.now()
    )
    if reaped:
        logger.warning("%s statistics run(s) left unfinished by a dead process: failed", reaped)
    return reaped


def run_latest() -> StatsRun | None:
    """The latest finished run: its watermarks start the next run, and it dates the figures."""
    finished = StatsRun.objects.filter(finished_at__isnull=False)
    return finished.order_by("-finished_at", "-pk").first()


def run_checked(*, latest: StatsRun, check: StatsRun) -> None:
    """A check found nothing to change since `latest`: the figures are still the latest run's
    (so is their cached rendering), checked just now, and the next run starts from here."""
    StatsRun.objects.filter(pk=latest.pk).update(
        checked_at=check.finished_at,
        users_seen_until=check.users_seen_until,
        courses_seen_until=check.courses_seen_until,
        stale_rows=F("stale_rows") + check.stale_rows,
    )
    report_meta_forget()


@contextmanager
def run_failure_recorded(run: StatsRun):
    """A stored run that raises is marked failed (a killed one is, by the next run)."""
    try:
        yield
    except BaseException:
        if run.pk is not None:
            try:
                StatsRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
                    failed_at=timezone.now()
                )
            except Exception:
                logger.warning("statistics run %s not marked failed", run.pk, exc_info=True)
        raise


def stats_runs_purge() -> int:
    """Delete runs older than STATS_RUN_RETENTION_DAYS but full rebuilds and the latest finished
    run, by windows of ids (each an index range, whatever was deleted before). Nothing refers
    to a run and the latest is kept: no signal is needed."""
    days = settings.STATS_RUN_RETENTION_DAYS
    cutoff = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(days=days))
    latest = run_latest()
    keep = latest.pk if latest else 0
    purged = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(id), MAX(id) FROM reports_statsrun WHERE started_at < %s", [cutoff]
        )
        low, high = cursor.fetchone()
        for start in range(low or 0, (high or -1) + 1, PURGE_BATCH):
            cursor.execute(
                "DELETE FROM reports_statsrun WHERE id >= %s AND id < %s AND started_at < %s "
                "AND kind <> %s AND id <> %s",
                [start, start + PURGE_BATCH, cutoff, StatsRun.Kind.FULL, keep],
            )
            purged += cursor.rowcount
    return purged
