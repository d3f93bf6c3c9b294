"""Time a statistics run's start-up with a long run history: a year of runs every 20 s is
inserted in one statement, the start-up is timed, and the inserted runs are deleted again.

The start-up queries (marking dead runs failed, finding the latest finished run) are timed
apart from taking the lock, whose cost is opening its connection, whatever the history."""

import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loadtest.measure import add_json_option, figures_write
from reports.stats.runs import engine_lock, run_latest, runs_reap

WARMUP = 3

POSTGRES_ROWS = (
    "INSERT INTO reports_statsrun (kind, started_at, finished_at, stale_rows, cells_written, "
    "users_seen_until, courses_seen_until) "
    "SELECT 'incremental', %(end)s - g * interval '20 seconds', "
    "%(end)s - g * interval '20 seconds' + interval '250 milliseconds', 0, 0, "
    "%(end)s - g * interval '20 seconds', %(end)s - g * interval '20 seconds' "
    "FROM generate_series(1, %(rows)s) AS g"
)
SQLITE_ROWS = (
    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %(rows)s) "
    "INSERT INTO reports_statsrun (kind, started_at, finished_at, stale_rows, cells_written, "
    "users_seen_until, courses_seen_until) "
    "SELECT 'incremental', datetime(%(end)s, '-' || (n * 20) || ' seconds'), "
    "datetime(%(end)s, '-' || (n * 20 - 1) || ' seconds'), 0, 0, "
    "datetime(%(end)s, '-' || (n * 20) || ' seconds'), "
    "datetime(%(end)s, '-' || (n * 20) || ' seconds') FROM g"
)


def _median_ms(timings: list[float]) -> float:
    return round(statistics.median(timings) * 1000, 3)


class Command(BaseCommand):
    help = "Time a statistics run's start-up and lock with N old runs stored, then delete them."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_500_000)
        parser.add_argument("--repeat", type=int, default=50)
        add_json_option(parser)

    def handle(self, *args, rows, repeat, as_json, **options):
        if rows < 1 or repeat < 1:
            raise CommandError("--rows and --repeat must be 1 or more.")
        end = (timezone.now() - timedelta(days=31)).replace(microsecond=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reports_statsrun")
            first_id = cursor.fetchone()[0]
            started = time.perf_counter()
            sql = POSTGRES_ROWS if connection.vendor == "postgresql" else SQLITE_ROWS
            cursor.execute(
                sql, {"end": connection.ops.adapt_datetimefield_value(end), "rows": rows}
            )
            insert_s = time.perf_counter() - started
            cursor.execute("ANALYZE reports_statsrun")  # as autovacuum would after such growth
            try:
                figures = self._measure(repeat)
                cursor.execute("SELECT COUNT(*) FROM reports_statsrun")
                figures["runs_stored"] = cursor.fetchone()[0]
            finally:
                # Only what was inserted here: a run started meanwhile is recent.
                cursor.execute(
                    "DELETE FROM reports_statsrun WHERE id >= %s AND started_at <= %s "
                    "AND kind = 'incremental'",
                    [first_id, connection.ops.adapt_datetimefield_value(end)],
                )
        figures = {"rows": rows, "insert_s": round(insert_s, 2), **figures}
        figures_write(self.stdout, figures, as_json=as_json)

    def _measure(self, repeat: int) -> dict:
        queries_s, lock_s, count = [], [], 0
        for attempt in range(WARMUP + repeat):
            started = time.perf_counter()
            with engine_lock():
                locked = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    runs_reap()
                    run_latest()
                done = time.perf_counter()
            if attempt >= WARMUP:
                queries_s.append(done - locked)
                lock_s.append(time.perf_counter() - done + locked - started)
                count = len(captured)
        return {
            "start_up_ms": _median_ms(queries_s),
            "start_up_max_ms": round(max(queries_s) * 1000, 3),
            "start_up_queries": count,
            "lock_ms": _median_ms(lock_s),
            "repeat": repeat,
        }
