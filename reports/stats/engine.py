"""The two runs: the full rebuild recomputes every shard and cell, the incremental run only what
changed since the last run; both end in the same table. One run at a time, under the lock of
`runs.py`; a check that changes nothing stores no run."""

import gc
import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from units.models import Unit

from ..models import StatsRun
from .leaves import (
    complete_leaves,
    course_cells,
    recount_shards,
    recount_stale_shards,
    stored_learners,
    stored_leaves,
    write_leaves,
)
from .rollup import above, ancestor_ids, closure, roll_up
from .runs import (
    EngineBusy,
    engine_lock,
    run_checked,
    run_failure_recorded,
    run_latest,
    runs_reap,
)
from .sources import (
    courses_changed_since,
    population_counts,
    published_assignments,
    published_course_ids,
    reconcile_learners,
    stale_rows_read,
    stale_rows_resolve,
    users_changed_since,
)
from .sql import statistics_cursor
from .trend import recount_trend

logger = logging.getLogger(__name__)

Waiting = Callable[[float], None] | None


def stats_full_rebuild(*, wait_s: float = 300, on_wait: Waiting = None) -> StatsRun:
    """Recompute every cell from source rows (nightly, `rebuild_stats`, the admin button),
    after waiting up to `wait_s` seconds for a run in progress (EngineBusy after that)."""
    with engine_lock(wait_s, on_wait=on_wait), _collector_paused():
        runs_reap()
        previous = run_latest()
        run, stale_rows = _start(StatsRun.Kind.FULL)
        with run_failure_recorded(run):
            reconcile_learners(since=previous.users_seen_until if previous else None)
            return _recount_all(run, stale_rows)


def stats_incremental(*, wait_s: float = 0, on_wait: Waiting = None) -> StatsRun | None:
    """Recompute only what changed since the last run; None when another run still holds the
    lock after `wait_s` seconds. A check that changes nothing returns its run unsaved (no pk):
    the latest stored run records the check instead (`checked_at`)."""
    try:
        with engine_lock(wait_s, on_wait=on_wait), _collector_paused():
            runs_reap()
            previous = run_latest()
            if previous is None:
                run, stale_rows = _start(StatsRun.Kind.FULL)
                with run_failure_recorded(run):
                    reconcile_learners(since=None)
                    return _recount_all(run, stale_rows)
            return _incremental(previous=previous)
    except EngineBusy:
        logger.info("statistics run skipped: another run is in progress")
        return None


@contextmanager
def _collector_paused():
    """A run builds tens of thousands of short-lived lists and no reference cycles: Python's
    cycle collector would only walk the whole heap over and over meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _start(kind: str):
    run = StatsRun(kind=kind)
    if kind == StatsRun.Kind.FULL:
        run.save()  # shown as running meanwhile, and as failed if its process dies
    # Watermarks trail the run's start: a change stamped just before it but committed after it
    # is seen again by the next run (recomputing is idempotent, missing it would not be).
    margin = timedelta(seconds=settings.STATS_WATERMARK_MARGIN_S)
    run.users_seen_until = run.courses_seen_until = run.started_at - margin
    return run, stale_rows_read()


def _finish(run: StatsRun, *, cells: int, stale_rows, previous: StatsRun | None) -> StatsRun:
    stale = stale_rows_resolve(stale_rows)
    run.cells_written = cells
    run.stale_rows = stale
    run.finished_at = timezone.now()
    if run.pk is None and not cells and previous is not None:
        run_checked(latest=previous, check=run)
    else:
        run.save()
    return run


def _recount_all(run: StatsRun, stale_rows, *, previous: StatsRun | None = None) -> StatsRun:
    """Every cell from source rows: the full rebuild, and runs after a course changed."""
    paths = dict(Unit.objects.values_list("id", "path"))
    assignments = published_assignments()
    # On PostgreSQL the shards are one long single-threaded scan: meanwhile a second connection
    # counts the registered learners and the trend on the other core, from the same snapshot.
    concurrent = connection.vendor == "postgresql" and not connection.in_atomic_block
    side: _SideCounts | None = None
    with statistics_cursor(repeatable=concurrent) as cursor:
        published = published_course_ids()
        if concurrent:
            cursor.execute("SELECT pg_export_snapshot()")
            side = _SideCounts(snapshot=cursor.fetchone()[0], published=published)
        written, _units = recount_shards(cursor, published)
        cells = course_cells(cursor)
        if side is not None:
            population, trend_written = side.result()
        else:
            population, trend_written = population_counts(cursor), None
        leaves = complete_leaves(
            cells,
            unit_ids={u for u, _c, _g in cells} | {u for u, _g in population},
            learners=population,
            paths=paths,
            assignments=assignments,
        )
        written += write_leaves(cursor, leaves, existing=stored_leaves(cursor))
        closure(cursor)
        written += roll_up(cursor, unit_ids=None, now=run.started_at)
        if trend_written is None:
            trend_written = recount_trend(cursor, published)
        written += trend_written
    return _finish(run, cells=written, stale_rows=stale_rows, previous=previous)


class _SideCounts(threading.Thread):
    """Registered learners and the whole trend, counted on a connection of its own that reads
    the snapshot of the run's transaction (its id from pg_export_snapshot)."""

    def __init__(self, *, snapshot: str, published: list[int]):
        super().__init__(name="statistics-side-counts", daemon=True)
        self.snapshot, self.published = snapshot, published
        self.population: dict[tuple[int, str], int] = {}
        self.trend_written = 0
        self.error: BaseException | None = None
        self.start()

    def run(self):
        try:
            with statistics_cursor(snapshot=self.snapshot) as cursor:
                self.population = population_counts(cursor)
                closure(cursor)
                self.trend_written = recount_trend(cursor, self.published)
        except BaseException as error:  # handed to the run's thread by result()
            self.error = error
        finally:
            connection.close()  # this thread's own connection

    def result(self) -> tuple[dict[tuple[int, str], int], int]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.population, self.trend_written


def _incremental(*, previous: StatsRun) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.INCREMENTAL)
    shards = {(unit, course, group, shard) for _id, unit, course, group, shard, _d in stale_rows}
    days = {(unit_id, day) for _id, unit_id, _course, _group, _shard, day in stale_rows if day}
    moved_shards, moved_days = reconcile_learners(since=previous.users_seen_until)
    shards |= moved_shards
    days |= moved_days
    if courses_changed_since(previous.courses_seen_until):
        # Published, unpublished, archived or (re)assigned: that course changes everywhere.
        return _recount_all(run, stale_rows, previous=previous)
    users_changed = users_changed_since(previous.users_seen_until)
    if not (shards or days or users_changed):
        return _finish(run, cells=0, stale_rows=stale_rows, previous=previous)

    ancestors = ancestor_ids()
    written = 0
    with statistics_cursor() as cursor:
        published = published_course_ids()
        units: set[int] = set()
        if shards:
            written, units = recount_stale_shards(cursor, published, shards)
        learners = stored_learners(cursor)
        if users_changed:
            # Registered learners (and the targets built on them) of every unit that differs.
            fresh = population_counts(cursor)
            units |= {
                key[0]
                for key in fresh.keys() | learners.keys()
                if fresh.get(key, 0) != learners.get(key, 0)
            }
            learners = fresh
        if units:
            leaves = complete_leaves(
                course_cells(cursor, unit_ids=units),
                unit_ids=units,
                learners=learners,
                paths=dict(Unit.objects.filter(id__in=units).values_list("id", "path")),
                assignments=published_assignments(),
            )
            written += write_leaves(cursor, leaves, existing=stored_leaves(cursor, unit_ids=units))
        if units or days:
            closure(cursor)
        if units:
            written += roll_up(cursor, unit_ids=above(units, ancestors), now=run.started_at)
        if days:
            written += recount_trend(cursor, published, days={d for _u, d in days})
    return _finish(run, cells=written, stale_rows=stale_rows, previous=previous)
