"""The statistics engine: completion figures per unit subtree, course and audience group.

Three layers, all recomputed from source rows, never incremented:
1. shards (LeafShard): enrolment counts per leaf course cell and learner id modulo
   STATS_SHARDS, counted from the enrolments' covering index with SQL GROUP BY;
2. leaf cells (LeafStat): learners whose own unit is exactly that unit, per course and group,
   adding up the shards, with registered learners and targets; an all-courses cell adds up the
   course cells;
3. rolled-up cells (UnitStat): a unit and everything below it, summed in SQL from the leaf cells
   of its subtree. Leaf cells are bounded by units x courses x groups, not by learners, so the
   roll-up is cheap whatever the number of enrolments.

The trend (DailyStat, completions per unit subtree and day) is counted per unit and day from the
enrolments' day index and summed up the tree in the same statement.

Course cells count enrolments; the all-courses cell adds up its course cells (so the course
breakdown always sums to the total), and "registered learners" counts people.

The incremental run recounts only the shards named by `courses.StaleCell` rows (written in the
same transaction as each change) and by learners who moved: changes fall mostly on the busiest
cells, and a shard holds a sixteenth of a cell. Then it rebuilds the leaf cells of the units
whose shards changed, the units above them, and the trend of the days named. A published,
unpublished or (re)assigned course is recounted everywhere. Every write is a diff against the
stored rows, so a run touches only what changed and any run can be repeated. The full rebuild
recomputes every shard and cell. Both end in the same table.

One run at a time, under the lock of `runs.py`; a check that changes nothing stores no run.
"""

import gc
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from courses.models import (
    Assignment,
    Course,
    CourseStatus,
    Enrollment,
    StaleCell,
)
from units.models import Unit

from .models import ALL_COURSES, ALL_GROUPS, StatsRun
from .runs import (
    EngineBusy,
    engine_lock,
    run_checked,
    run_failure_recorded,
    run_latest,
    runs_reap,
)

logger = logging.getLogger(__name__)

TREND_DAYS = 180
FIELDS = ("learners", "enrolled", "started", "completed", "certified", "target", "target_completed")
LEARNERS, ENROLLED, STARTED, COMPLETED, CERTIFIED, TARGET, TARGET_COMPLETED = range(len(FIELDS))
ROWS_PER_STATEMENT = 500
SNAPSHOT_ID = re.compile(r"[0-9A-F-]+")
# An incremental run recounts every shard (one scan) rather than the stale ones (one lookup
# each) when more than this share of all shards is stale.
WHOLE_RECOUNT_SHARE = 0.1
TEMP_TABLES = ("stats_closure", "stats_diff")

Cell = tuple[int, int, str]  # (unit id, course key, audience group)
Counts = list[int]  # in FIELDS order


# SQL helpers ------------------------------------------------------------------------------


def _marks(count: int, width: int = 1) -> str:
    """`%s, %s` for a list, `(%s, %s), (%s, %s)` for rows of `width` values."""
    one = "%s" if width == 1 else "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([one] * count)


def _chunks(rows: Sequence):
    """The rows in one piece on PostgreSQL (they travel as arrays), in pieces elsewhere."""
    size = max(len(rows), 1) if connection.vendor == "postgresql" else ROWS_PER_STATEMENT
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _in(column: str, values: Iterable, sql_type: str = "bigint") -> tuple[str, list]:
    """`column` is one of `values`: a single array parameter on PostgreSQL (parsing thousands
    of placeholders costs more than the query), a list of placeholders elsewhere."""
    values = sorted(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{sql_type}[])", [values]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({_marks(len(values))})", values


def _rows(rows: Sequence[Sequence], sql_types: Sequence[str]) -> tuple[str, list]:
    """A table of `rows`: unnest() of one array per column on PostgreSQL, VALUES elsewhere."""
    if connection.vendor == "postgresql":
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in sql_types]
        arrays = ", ".join(f"%s::{t}[]" for t in sql_types)
        return f"SELECT * FROM unnest({arrays})", columns
    return f"VALUES {_marks(len(rows), len(sql_types))}", [v for row in rows for v in row]


@contextmanager
def _statistics_cursor(*, snapshot: str | None = None, repeatable: bool = False):
    """A cursor inside the run's transaction; its temporary tables are dropped at the end (or
    rolled back with it). `repeatable` reads every statement from one snapshot, which another
    connection can share by its id (`snapshot`).

    On PostgreSQL the recount reads whole indexes that stay in memory: random reads cost what
    sequential ones do, and just-in-time compilation costs more than it saves here."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if repeatable or snapshot:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if snapshot:
                if not SNAPSHOT_ID.fullmatch(snapshot):
                    raise ValueError(f"not a snapshot id: {snapshot!r}")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")
            if connection.pg_version >= 140000:
                # A killed run's statement stops within a second rather than running to its end.
                cursor.execute("SET LOCAL client_connection_check_interval = 1000")
        yield cursor
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        for table in TEMP_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


def _upsert(cursor, table: str, columns: Sequence[str], keys: Sequence[str], rows, types) -> int:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    for chunk in _chunks(rows):
        values, params = _rows(chunk, types)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) {values} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
            params,
        )
    return len(rows)


def _delete_keys(cursor, table: str, keys: Sequence[str], rows, types) -> int:
    for chunk in _chunks(rows):
        values, params = _rows(chunk, types)
        cursor.execute(f"DELETE FROM {table} WHERE ({', '.join(keys)}) IN ({values})", params)
    return len(rows)


def _merge(
    cursor,
    *,
    table: str,
    keys: Sequence[str],
    values: Sequence[str],
    source: str,
    params: Sequence = (),
    scope: str = "",
    scope_params: Sequence = (),
    stamps: Sequence[str] = (),
    changed_units: set[int] | None = None,
) -> int:
    """Make the rows of `table` within `scope` equal the rows the `source` SELECT returns.

    One full join finds the rows that differ, are missing or are gone; only those are written
    (with `stamps` set on them), so a run over unchanged figures writes nothing. The units of
    the rows written are added to `changed_units` when given."""
    same_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    differs = " OR ".join(f"t.{v} <> s.{v}" for v in values)
    cursor.execute(
        f"CREATE TEMPORARY TABLE stats_diff AS WITH source AS ({source}) "
        f"SELECT t.id AS existing_id, (s.{keys[0]} IS NULL) AS gone, "
        + ", ".join(
            [f"COALESCE(s.{k}, t.{k}) AS {k}" for k in keys]
            + [f"s.{c}" for c in (*values, *stamps)]
        )
        + f" FROM source s FULL JOIN (SELECT * FROM {table} WHERE {scope or '1 = 1'}) t "
        f"ON {same_key} WHERE t.id IS NULL OR s.{keys[0]} IS NULL OR {differs}",
        [*params, *scope_params],
    )
    if changed_units is not None:
        cursor.execute("SELECT DISTINCT unit_id FROM stats_diff")
        changed_units.update(unit_id for (unit_id,) in cursor.fetchall())
    assignments = ", ".join(f"{c} = d.{c}" for c in (*values, *stamps))
    cursor.execute(
        f"UPDATE {table} SET {assignments} FROM stats_diff d "
        f"WHERE d.existing_id = {table}.id AND NOT d.gone"
    )
    written = max(cursor.rowcount, 0)
    columns = ", ".join((*keys, *values, *stamps))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM stats_diff "
        "WHERE existing_id IS NULL"
    )
    written += max(cursor.rowcount, 0)
    cursor.execute(
        f"DELETE FROM {table} WHERE id IN (SELECT existing_id FROM stats_diff WHERE gone)"
    )
    written += max(cursor.rowcount, 0)
    cursor.execute("DROP TABLE stats_diff")
    return written


# Source reads ---------------------------------------------------------------------------


def _published_course_ids() -> list[int]:
    return list(Course.objects.filter(status=CourseStatus.PUBLISHED).values_list("id", flat=True))


def _recount_shards(cursor, published: list[int], *, shards=None) -> tuple[int, set[int]]:
    """LeafShard from the enrolments: one GROUP BY over their covering index, for every shard
    or the (unit, course, group, shard) shards named. Returns the rows written and the units
    whose counts changed."""
    in_published, params = _in("e.course_id", published)
    shard = "e.stats_shard"
    source = (
        f"SELECT e.unit_id, e.course_id AS course_key, e.audience_group, {shard} AS shard, "
        "COUNT(*) AS enrolled, COUNT(e.started_at) AS started, "
        "COUNT(e.completed_at) AS completed, "
        "SUM(CASE WHEN e.certified THEN 1 ELSE 0 END) AS certified "
        f"FROM courses_enrollment e WHERE e.is_active AND e.unit_id IS NOT NULL AND {in_published} "
    )
    keys = ("unit_id", "course_key", "audience_group", "shard")
    scope, scope_params = "", []
    if shards is not None:
        values, scope_params = _rows(sorted(shards), ("bigint", "bigint", "text", "smallint"))
        scope = f"({', '.join(keys)}) IN ({values})"
        source += f"AND (e.unit_id, e.course_id, e.audience_group, {shard}) IN ({values}) "
        params = [*params, *scope_params]
    source += f"GROUP BY e.unit_id, e.course_id, e.audience_group, {shard}"
    changed: set[int] = set()
    written = _merge(
        cursor,
        table="reports_leafshard",
        keys=keys,
        values=("enrolled", "started", "completed", "certified"),
        source=source,
        params=params,
        scope=scope,
        scope_params=scope_params,
        changed_units=changed,
    )
    return written, changed


def _course_cells(cursor, *, unit_ids=None) -> dict[Cell, Counts]:
    """Enrolment counts per leaf course cell, adding up its shards."""
    sql = (
        "SELECT unit_id, course_key, audience_group, SUM(enrolled), SUM(started), "
        "SUM(completed), SUM(certified) FROM reports_leafshard"
    )
    params: list = []
    if unit_ids is not None:
        condition, params = _in("unit_id", unit_ids)
        sql += f" WHERE {condition}"
    cursor.execute(sql + " GROUP BY unit_id, course_key, audience_group", params)
    return {
        (u, c, g): [0, int(enrolled), int(started), int(completed), int(certified), 0, 0]
        for u, c, g, enrolled, started, completed, certified in cursor.fetchall()
    }


def population_counts(cursor) -> dict[tuple[int, str], int]:
    """Registered learners per (unit, audience group): counted where they work, else live."""
    cursor.execute(
        "SELECT COALESCE(workplace_unit_id, home_unit_id), audience_group, COUNT(*) "
        "FROM accounts_user WHERE is_active "
        "AND COALESCE(workplace_unit_id, home_unit_id) IS NOT NULL "
        "GROUP BY COALESCE(workplace_unit_id, home_unit_id), audience_group"
    )
    return {(unit_id, group): n for unit_id, group, n in cursor.fetchall()}


def _stored_leaves(cursor, *, unit_ids=None) -> dict[Cell, Counts]:
    sql = f"SELECT unit_id, course_key, audience_group, {', '.join(FIELDS)} FROM reports_leafstat"
    params: list = []
    if unit_ids is not None:
        condition, params = _in("unit_id", unit_ids)
        sql += f" WHERE {condition}"
    cursor.execute(sql, params)
    return {(u, c, g): list(counts) for u, c, g, *counts in cursor.fetchall()}


# Leaf cells ------------------------------------------------------------------------------


def _assignments() -> list[tuple[int, str, str]]:
    return list(
        Assignment.objects.filter(course__status=CourseStatus.PUBLISHED).values_list(
            "course_id", "unit__path", "audience_group"
        )
    )


def _complete_leaves(
    course_cells: dict[Cell, Counts],
    *,
    unit_ids: set[int],
    learners: dict[tuple[int, str], int],
    paths: dict[int, str],
    assignments,
) -> dict[Cell, Counts]:
    """Add targets to course cells and build each unit's all-courses cells from them.

    `course_cells` must hold every course cell of the units in `unit_ids`."""
    cells = {key: list(value) for key, value in course_cells.items() if key[0] in unit_ids}
    for (unit_id, group), n in learners.items():
        if unit_id not in unit_ids:
            continue
        for course_id, path, assigned_group in assignments:
            if paths[unit_id].startswith(path) and assigned_group in ("", group):
                cell = cells.setdefault((unit_id, course_id, group), [0] * len(FIELDS))
                cell[TARGET], cell[TARGET_COMPLETED] = n, cell[COMPLETED]
    totals: dict[Cell, Counts] = {}
    for (unit_id, _course, group), counts in cells.items():
        total = totals.setdefault((unit_id, ALL_COURSES, group), [0] * len(FIELDS))
        for i in range(ENROLLED, len(FIELDS)):
            total[i] += counts[i]
    for (unit_id, group), n in learners.items():
        if unit_id in unit_ids and n:
            totals.setdefault((unit_id, ALL_COURSES, group), [0] * len(FIELDS))[LEARNERS] = n
    cells.update(totals)
    return cells


def _write_leaves(cursor, leaves: dict[Cell, Counts], *, existing: dict[Cell, Counts]) -> int:
    """Make the leaf cells of the units `existing` was read for equal `leaves`."""
    keys = ("unit_id", "course_key", "audience_group")
    types = ("bigint", "integer", "text")
    changed = [(*key, *counts) for key, counts in leaves.items() if existing.get(key) != counts]
    gone = [key for key in existing if key not in leaves]
    written = _upsert(
        cursor,
        "reports_leafstat",
        [*keys, *FIELDS],
        keys,
        changed,
        (*types, *["integer"] * len(FIELDS)),
    )
    return written + _delete_keys(cursor, "reports_leafstat", keys, gone, types)


# Roll-ups, in SQL ----------------------------------------------------------------------------


def _closure(cursor) -> None:
    """Every unit with itself and each of its ancestors, from the parent links."""
    cursor.execute(
        "CREATE TEMPORARY TABLE stats_closure AS "
        "WITH RECURSIVE chain(unit_id, ancestor_id) AS ("
        "SELECT id, id FROM units_unit "
        "UNION ALL SELECT chain.unit_id, u.parent_id FROM chain "
        "JOIN units_unit u ON u.id = chain.ancestor_id WHERE u.parent_id IS NOT NULL"
        ") SELECT unit_id, ancestor_id FROM chain"
    )
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE stats_closure")


def _roll_up(cursor, *, unit_ids: set[int] | None, now) -> int:
    """UnitStat of the given units (all when None) from the leaf cells of their subtrees, with
    the all-groups column; a course cell's registered learners are its unit's and group's."""
    where, params, scope = "", [], ""
    if unit_ids is not None:
        condition, params = _in("c.ancestor_id", unit_ids)
        where, scope = f"WHERE {condition}", _in("unit_id", unit_ids)[0]
    sums = ", ".join(f"SUM(l.{f}) AS {f}" for f in FIELDS)
    resum = ", ".join(f"SUM({f})" for f in FIELDS)
    others = ", ".join(FIELDS[1:])
    source = (
        f"WITH sums AS (SELECT c.ancestor_id AS unit_id, l.course_key, l.audience_group, {sums} "
        "FROM reports_leafstat l JOIN stats_closure c ON c.unit_id = l.unit_id "
        f"{where} GROUP BY c.ancestor_id, l.course_key, l.audience_group), "
        "cells AS (SELECT * FROM sums UNION ALL "
        f"SELECT unit_id, course_key, '{ALL_GROUPS}', {resum} FROM sums "
        "GROUP BY unit_id, course_key) "
        "SELECT unit_id, course_key, audience_group, "
        f"CASE WHEN course_key = {ALL_COURSES} THEN learners ELSE COALESCE(MAX(CASE WHEN "
        f"course_key = {ALL_COURSES} THEN learners END) OVER (PARTITION BY unit_id, "
        f"audience_group), 0) END AS learners, {others}, %s AS computed_at FROM cells"
    )
    return _merge(
        cursor,
        table="reports_unitstat",
        keys=("unit_id", "course_key", "audience_group"),
        values=FIELDS,
        stamps=("computed_at",),
        source=source,
        params=[*params, now],
        scope=scope,
        scope_params=params,
    )


def _recount_trend(cursor, published: list[int], *, days: set | None = None) -> int:
    """DailyStat: course completions per unit subtree and local day within the trend window,
    for every day or the days named. A day's completions are few and indexed, so a named day
    is recounted whole, for every unit, straight from the enrolments."""
    since = timezone.localdate() - timedelta(days=TREND_DAYS)
    in_published, params = _in("e.course_id", published)
    leaf = (
        "SELECT e.completed_day AS day, e.unit_id, COUNT(*) AS completed "
        "FROM courses_enrollment e WHERE e.is_active AND e.completed_day IS NOT NULL "
        f"AND {in_published} AND e.completed_day >= %s AND e.unit_id IS NOT NULL "
    )
    params = [*params, since]
    scope, scope_params = "", []
    if days is not None:
        scope, scope_params = _in("day", days, "date")
        leaf += f"AND {_in('e.completed_day', days, 'date')[0]} "
        params += scope_params
    # Day first: the index is ordered that way, so the leaf counts need no hash table.
    leaf += "GROUP BY e.completed_day, e.unit_id"
    return _merge(
        cursor,
        table="reports_dailystat",
        keys=("unit_id", "day"),
        values=("completed",),
        source=(
            "SELECT c.ancestor_id AS unit_id, s.day, SUM(s.completed) AS completed "
            f"FROM ({leaf}) s JOIN stats_closure c ON c.unit_id = s.unit_id "
            "GROUP BY c.ancestor_id, s.day"
        ),
        params=params,
        scope=scope,
        scope_params=scope_params,
    )


def _ancestor_ids() -> dict[int, list[int]]:
    """Each unit's id with every ancestor's, read from the materialized paths."""
    units = list(Unit.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _path in units}
    return {
        pk: [id_by_code[c] for c in path.split("/") if c and c in id_by_code]
        for pk, _code, path in units
    }


def _above(unit_ids: Iterable[int], ancestors: dict[int, list[int]]) -> set[int]:
    return {a for u in unit_ids for a in ancestors.get(u, (u,))}


# Runs ------------------------------------------------------------------------------------


Waiting = Callable[[float], None] | None


def stats_full_rebuild(*, wait_s: float = 300, on_wait: Waiting = None) -> StatsRun:
    """Recompute every cell from source rows (nightly, `rebuild_stats`, the admin button),
    after waiting up to `wait_s` seconds for a run in progress (EngineBusy after that)."""
    with engine_lock(wait_s, on_wait=on_wait), _collector_paused():
        runs_reap()
        previous = run_latest()
        run, stale_rows = _start(StatsRun.Kind.FULL)
        with run_failure_recorded(run):
            _reconcile_learners(since=previous.users_seen_until if previous else None)
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
                    _reconcile_learners(since=None)
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
    # Only the rows read now are resolved by this run: anything marked later waits for the next.
    stale_rows = list(
        StaleCell.objects.values_list(
            "id", "unit_id", "course_id", "audience_group", "shard", "day"
        )
    )
    return run, stale_rows


def _finish(run: StatsRun, *, cells: int, stale_rows, previous: StatsRun | None) -> StatsRun:
    stale = StaleCell.objects.filter(id__in=[row[0] for row in stale_rows]).delete()[0]
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
    assignments = _assignments()
    # On PostgreSQL the shards are one long single-threaded scan: meanwhile a second connection
    # counts the registered learners and the trend on the other core, from the same snapshot.
    concurrent = connection.vendor == "postgresql" and not connection.in_atomic_block
    side: _SideCounts | None = None
    with _statistics_cursor(repeatable=concurrent) as cursor:
        published = _published_course_ids()
        if concurrent:
            cursor.execute("SELECT pg_export_snapshot()")
            side = _SideCounts(snapshot=cursor.fetchone()[0], published=published)
        written, _units = _recount_shards(cursor, published)
        course_cells = _course_cells(cursor)
        if side is not None:
            population, trend_written = side.result()
        else:
            population, trend_written = population_counts(cursor), None
        leaves = _complete_leaves(
            course_cells,
            unit_ids={u for u, _c, _g in course_cells} | {u for u, _g in population},
            learners=population,
            paths=paths,
            assignments=assignments,
        )
        written += _write_leaves(cursor, leaves, existing=_stored_leaves(cursor))
        _closure(cursor)
        written += _roll_up(cursor, unit_ids=None, now=run.started_at)
        if trend_written is None:
            trend_written = _recount_trend(cursor, published)
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
            with _statistics_cursor(snapshot=self.snapshot) as cursor:
                self.population = population_counts(cursor)
                _closure(cursor)
                self.trend_written = _recount_trend(cursor, self.published)
        except BaseException as error:  # handed to the run's thread by result()
            self.error = error
        finally:
            connection.close()  # this thread's own connection

    def result(self) -> tuple[dict[tuple[int, str], int], int]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.population, self.trend_written


Shard = tuple[int, int, str, int]  # (unit id, course id, audience group, shard)


def _reconcile_learners(*, since) -> tuple[set[Shard], set[tuple[int, object]]]:
    """Enrolments follow learners who moved unit or changed audience group.

    Returns the shards and (unit, day) trend cells that changed, old and new."""
    enrollments = Enrollment.objects.annotate(
        counted_unit=Coalesce("user__workplace_unit_id", "user__home_unit_id")
    ).filter(
        ~Q(unit_id=F("counted_unit"))
        | ~Q(audience_group=F("user__audience_group"))
        | (Q(unit__isnull=True) & Q(counted_unit__isnull=False))
    )
    if since is not None:
        enrollments = enrollments.filter(user__updated_at__gt=since)
    rows = list(
        enrollments.values_list(
            "id",
            "stats_shard",
            "unit_id",
            "course_id",
            "audience_group",
            "counted_unit",
            "user__audience_group",
            "completed_day",
        )
    )
    shards: set[Shard] = set()
    days: set[tuple[int, object]] = set()
    paths = dict(Unit.objects.filter(id__in={r[5] for r in rows}).values_list("id", "path"))
    for enrollment_id, shard, old_unit, course_id, old_group, new_unit, group, day in rows:
        for unit_id, unit_group in ((old_unit, old_group), (new_unit, group)):
            if unit_id:
                shards.add((unit_id, course_id, unit_group, shard))
                if day:
                    days.add((unit_id, day))
        Enrollment.objects.filter(pk=enrollment_id).update(
            unit_id=new_unit, unit_path=paths.get(new_unit, ""), audience_group=group
        )
    return shards, days


def _incremental(*, previous: StatsRun) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.INCREMENTAL)
    shards = {(unit, course, group, shard) for _id, unit, course, group, shard, _d in stale_rows}
    days = {(unit_id, day) for _id, unit_id, _course, _group, _shard, day in stale_rows if day}
    moved_shards, moved_days = _reconcile_learners(since=previous.users_seen_until)
    shards |= moved_shards
    days |= moved_days
    since = previous.courses_seen_until
    if (
        Course.objects.filter(updated_at__gt=since).exists()
        or Assignment.objects.filter(updated_at__gt=since).exists()
    ):
        # Published, unpublished, archived or (re)assigned: that course changes everywhere.
        return _recount_all(run, stale_rows, previous=previous)
    users_changed = User.objects.filter(updated_at__gt=previous.users_seen_until).exists()
    if not (shards or days or users_changed):
        return _finish(run, cells=0, stale_rows=stale_rows, previous=previous)

    ancestors = _ancestor_ids()
    written = 0
    with _statistics_cursor() as cursor:
        published = _published_course_ids()
        units: set[int] = set()
        if shards:
            # Past a tenth of all shards, one scan of the whole index costs less than a lookup
            # per shard; either way only the shards whose counts changed are written.
            cursor.execute("SELECT COUNT(*) FROM reports_leafshard")
            whole = len(shards) > WHOLE_RECOUNT_SHARE * cursor.fetchone()[0]
            recounted, units = _recount_shards(cursor, published, shards=None if whole else shards)
            written += recounted
        cursor.execute(
            "SELECT unit_id, audience_group, learners FROM reports_leafstat WHERE course_key = %s",
            [ALL_COURSES],
        )
        learners = {(u, g): n for u, g, n in cursor.fetchall()}
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
            leaves = _complete_leaves(
                _course_cells(cursor, unit_ids=units),
                unit_ids=units,
                learners=learners,
                paths=dict(Unit.objects.filter(id__in=units).values_list("id", "path")),
                assignments=_assignments(),
            )
            written += _write_leaves(
                cursor, leaves, existing=_stored_leaves(cursor, unit_ids=units)
            )
        if units or days:
            _closure(cursor)
        if units:
            written += _roll_up(cursor, unit_ids=_above(units, ancestors), now=run.started_at)
        if days:
            written += _recount_trend(cursor, published, days={d for _u, d in days})
    return _finish(run, cells=written, stale_rows=stale_rows, previous=previous)
