"""The statistics engine: completion figures per unit subtree, course and audience group.

Two layers, both recomputed from source rows, never incremented:
1. leaf cells (LeafStat, LeafDaily): learners whose own unit is exactly that unit, counted from
   enrolments and users with SQL GROUP BY;
2. rolled-up cells (UnitStat, DailyStat): a unit and everything below it, summed from the leaf
   cells of its subtree. Leaf cells are bounded by units x courses x groups, not by learners,
   so the roll-up is cheap whatever the number of enrolments.

Course cells count enrolments; the all-courses cell adds up its course cells (so the course
breakdown always sums to the total), and "registered learners" counts people.

The incremental run recomputes leaf cells only for the (unit, course) pairs named by
`courses.StaleCell` rows (written in the same transaction as each change) and by learners whose
profile changed, rolls up the affected course keys, and writes only the cells whose figures
changed. The full rebuild recomputes every leaf cell. Both end in the same table.
"""

import logging
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from courses.models import Assignment, Course, CourseStatus, Enrollment, StaleCell
from units.models import Unit

from .models import ALL_COURSES, ALL_GROUPS, DailyStat, LeafDaily, LeafStat, StatsRun, UnitStat

logger = logging.getLogger(__name__)

LOCK_KEY = "reports:stats-engine-lock"
LOCK_TTL_S = 15 * 60
TREND_DAYS = 180
FIELDS = ("learners", "enrolled", "started", "completed", "certified", "target", "target_completed")
LEARNERS, ENROLLED, STARTED, COMPLETED, CERTIFIED, TARGET, TARGET_COMPLETED = range(len(FIELDS))
PAIRS_PER_QUERY = 2000

Cell = tuple[int, int, str]  # (unit id, course key, audience group)
Counts = list[int]  # in FIELDS order


class EngineBusy(Exception):
    """Another run holds the lock."""


@contextmanager
def engine_lock(wait_s: float = 0):
    """One run at a time across workers; the lock expires if its holder dies."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait_s
    while not cache.add(LOCK_KEY, token, LOCK_TTL_S):
        if time.monotonic() >= deadline:
            raise EngineBusy
        time.sleep(0.5)
    try:
        yield
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


# Source reads ---------------------------------------------------------------------------


def _published_course_ids() -> list[int]:
    return list(Course.objects.filter(status=CourseStatus.PUBLISHED).values_list("id", flat=True))


def _enrollment_counts(*, pairs=None, course_ids=None) -> dict[Cell, Counts]:
    """Enrolment counts per (unit, course, group): one GROUP BY over the enrolments, restricted
    to the given (unit, course) pairs or courses when named."""
    published = _published_course_ids()
    if course_ids is not None:
        published = [c for c in published if c in course_ids]
    if not published:
        return {}
    select = (
        "SELECT e.unit_id, e.course_id, e.audience_group, COUNT(*), COUNT(e.started_at), "
        "COUNT(e.completed_at), SUM(CASE WHEN e.certified THEN 1 ELSE 0 END) "
        "FROM courses_enrollment e WHERE e.is_active AND e.unit_id IS NOT NULL "
        f"AND e.course_id IN ({', '.join(['%s'] * len(published))}) "
    )
    group_by = " GROUP BY e.unit_id, e.course_id, e.audience_group"
    batches: list[tuple[str, list]] = []
    if pairs is None:
        batches.append((select + group_by, list(published)))
    else:
        pairs = sorted(p for p in pairs if p[1] in set(published))
        for start in range(0, len(pairs), PAIRS_PER_QUERY):
            chunk = pairs[start : start + PAIRS_PER_QUERY]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            sql = select + f"AND (e.unit_id, e.course_id) IN (VALUES {values})" + group_by
            batches.append((sql, [*published, *(v for pair in chunk for v in pair)]))
    cells: dict[Cell, Counts] = {}
    with connection.cursor() as cursor:
        for sql, params in batches:
            cursor.execute(sql, params)
            for unit_id, course_id, group, enrolled, started, completed, certified in cursor:
                cells[(unit_id, course_id, group)] = [
                    0,
                    enrolled,
                    started,
                    completed,
                    int(certified or 0),
                    0,
                    0,
                ]
    return cells


def population_counts(*, unit_ids=None) -> dict[tuple[int, str], int]:
    """Registered learners per (unit, audience group): counted where they work, else live."""
    qs = User.objects.filter(is_active=True).annotate(
        counted_unit=Coalesce("workplace_unit_id", "home_unit_id")
    )
    qs = qs.filter(counted_unit__isnull=False)
    if unit_ids is not None:
        qs = qs.filter(counted_unit__in=unit_ids)
    rows = qs.values_list("counted_unit", "audience_group").annotate(n=Count("id")).order_by()
    return {(unit_id, group): n for unit_id, group, n in rows}


def _daily_counts(*, unit_days=None) -> dict[tuple[int, object], int]:
    """Course completions per (unit, local day) in the trend window, or on the days named."""
    since = timezone.localdate() - timedelta(days=TREND_DAYS)
    offset = _fixed_utc_offset_s()
    if unit_days is None and connection.vendor == "postgresql" and offset is not None:
        return _daily_counts_fast(since=since, offset_s=offset)
    qs = Enrollment.objects.filter(
        is_active=True, unit__isnull=False, course_id__in=_published_course_ids()
    )
    if unit_days is None:
        qs = qs.filter(completed_at__gte=_day_start(since))
    else:
        days = sorted({d for _u, d in unit_days if d >= since})
        if not days:
            return {}
        window = Q()
        for day in days:
            window |= Q(completed_at__gte=_day_start(day), completed_at__lt=_day_start(day, 1))
        qs = qs.filter(window, unit_id__in={u for u, _d in unit_days})
    rows = (
        qs.annotate(day=TruncDate("completed_at"))
        .values_list("unit_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(unit_id, day): n for unit_id, day, n in rows}
    if unit_days is not None:
        counts = {key: n for key, n in counts.items() if key in unit_days}
    return counts


def _fixed_utc_offset_s() -> int | None:
    """The local zone's UTC offset when it never changes (Vietnam: +7, no daylight saving)."""
    zone = timezone.get_current_timezone()
    offsets = {datetime(2025, month, 1, 12, tzinfo=zone).utcoffset() for month in (1, 4, 7, 10)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def _daily_counts_fast(*, since, offset_s: int) -> dict[tuple[int, object], int]:
    """The same counts as the ORM path, with the local day taken by adding the fixed offset,
    which PostgreSQL computes far faster than a named time zone conversion per row."""
    published = _published_course_ids()
    if not published:
        return {}
    sql = (
        "SELECT e.unit_id, (e.completed_at + %s * interval '1 second')::date, COUNT(*) "
        "FROM courses_enrollment e WHERE e.is_active AND e.unit_id IS NOT NULL "
        f"AND e.course_id IN ({', '.join(['%s'] * len(published))}) AND e.completed_at >= %s "
        "GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [offset_s, *published, _day_start(since)])
        return {(unit_id, day): n for unit_id, day, n in cursor}


def _day_start(day, plus_days: int = 0):
    return timezone.make_aware(datetime.combine(day + timedelta(days=plus_days), dtime.min))


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


def _ancestor_ids() -> tuple[dict[int, list[int]], dict[int, str]]:
    """Each unit's id with every ancestor's, read from the materialized paths."""
    units = list(Unit.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _path in units}
    ancestors = {
        pk: [id_by_code[c] for c in path.split("/") if c and c in id_by_code]
        for pk, _code, path in units
    }
    return ancestors, {pk: path for pk, _code, path in units}


def rollup(leaves, ancestors: dict[int, list[int]], *, only: set[int] | None = None):
    """Sum leaf cells into every ancestor (and the all-groups column); `only` keeps the units
    whose cells are wanted."""
    totals: dict[Cell, Counts] = defaultdict(lambda: [0] * len(FIELDS))
    for (unit_id, course_key, group), counts in leaves:
        for ancestor in ancestors.get(unit_id, (unit_id,)):
            if only is not None and ancestor not in only:
                continue
            for key in ((ancestor, course_key, group), (ancestor, course_key, ALL_GROUPS)):
                target = totals[key]
                for i, value in enumerate(counts):
                    target[i] += value
    # A course's "registered learners" is the whole population of the unit and group.
    for (unit_id, course_key, group), counts in totals.items():
        if course_key != ALL_COURSES:
            population = totals.get((unit_id, ALL_COURSES, group))
            counts[LEARNERS] = population[LEARNERS] if population else 0
    return totals


def rollup_daily(leaves, ancestors, *, only: set[int] | None = None):
    totals: dict[tuple[int, object], int] = defaultdict(int)
    for (unit_id, day), n in leaves:
        for ancestor in ancestors.get(unit_id, (unit_id,)):
            if only is None or ancestor in only:
                totals[(ancestor, day)] += n
    return totals


# Writes: only what changed ------------------------------------------------------------------


def _write_cells(model, cells: dict[Cell, Counts], *, scope: Q, now=None) -> int:
    """Make the rows of `model` inside `scope` equal `cells`: upsert what differs, delete what
    no longer exists."""
    existing = {
        (u, c, g): list(counts)
        for u, c, g, *counts in model.objects.filter(scope).values_list(
            "unit_id", "course_key", "audience_group", *FIELDS
        )
    }
    extra = {"computed_at": now} if model is UnitStat else {}
    changed = [
        model(
            unit_id=u, course_key=c, audience_group=g, **extra, **dict(zip(FIELDS, v, strict=True))
        )
        for (u, c, g), v in cells.items()
        if existing.get((u, c, g)) != v
    ]
    model.objects.bulk_create(
        changed,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit", "course_key", "audience_group"],
        update_fields=[*FIELDS, *extra],
    )
    gone = [key for key in existing if key not in cells]
    for start in range(0, len(gone), 500):
        condition = Q()
        for unit_id, course_key, group in gone[start : start + 500]:
            condition |= Q(unit_id=unit_id, course_key=course_key, audience_group=group)
        model.objects.filter(condition).delete()
    return len(changed) + len(gone)


def _write_days(model, counts: dict[tuple[int, object], int], *, scope: Q) -> int:
    existing = dict(
        ((u, d), n)
        for u, d, n in model.objects.filter(scope).values_list("unit_id", "day", "completed")
    )
    changed = [
        model(unit_id=u, day=d, completed=n)
        for (u, d), n in counts.items()
        if existing.get((u, d)) != n
    ]
    model.objects.bulk_create(
        changed,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit", "day"],
        update_fields=["completed"],
    )
    gone = [key for key in existing if key not in counts]
    for start in range(0, len(gone), 500):
        condition = Q()
        for unit_id, day in gone[start : start + 500]:
            condition |= Q(unit_id=unit_id, day=day)
        model.objects.filter(condition).delete()
    return len(changed) + len(gone)


def _unit_day_scope(unit_days) -> Q:
    scope = Q(pk__in=[])
    by_day: dict[object, set[int]] = defaultdict(set)
    for unit_id, day in unit_days:
        by_day[day].add(unit_id)
    for day, units in by_day.items():
        scope |= Q(day=day, unit_id__in=units)
    return scope


# Runs ------------------------------------------------------------------------------------


def stats_full_rebuild(*, wait_s: float = 300) -> StatsRun:
    """Recompute every cell from source rows (nightly, `rebuild_stats`, the admin button)."""
    with engine_lock(wait_s=wait_s):
        return _full_rebuild(previous=_last_run())


def stats_incremental() -> StatsRun | None:
    """Recompute only what changed since the last run; skipped while another run holds the lock."""
    try:
        with engine_lock():
            previous = _last_run()
            if previous is None:
                return _full_rebuild(previous=None)
            return _incremental(previous=previous)
    except EngineBusy:
        logger.info("statistics run skipped: another run is in progress")
        return None


def _last_run() -> StatsRun | None:
    return StatsRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def _start(kind: str):
    run = StatsRun.objects.create(kind=kind)
    # Watermarks trail the run's start: a change stamped just before it but committed after it
    # is seen again by the next run (recomputing is idempotent, missing it would not be).
    margin = timedelta(seconds=settings.STATS_WATERMARK_MARGIN_S)
    run.users_seen_until = run.courses_seen_until = run.started_at - margin
    # Only the rows read now are resolved by this run: anything marked later waits for the next.
    stale_rows = list(StaleCell.objects.values_list("id", "unit_id", "course_id", "day"))
    return run, stale_rows


def _finish(run: StatsRun, *, cells: int, stale_rows) -> StatsRun:
    stale = StaleCell.objects.filter(id__in=[row[0] for row in stale_rows]).delete()[0]
    run.cells_written = cells
    run.stale_rows = stale
    run.finished_at = timezone.now()
    run.save()
    return run


def _full_rebuild(*, previous: StatsRun | None) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.FULL)
    _reconcile_learners(since=previous.users_seen_until if previous else None)
    ancestors, paths = _ancestor_ids()
    with transaction.atomic():
        population = population_counts()
        course_cells = _enrollment_counts()
        unit_ids = {u for u, _c, _g in course_cells} | {u for u, _g in population}
        leaves = _complete_leaves(
            course_cells,
            unit_ids=unit_ids,
            learners=population,
            paths=paths,
            assignments=_assignments(),
        )
        written = _write_cells(LeafStat, leaves, scope=Q())
        written += _write_cells(
            UnitStat, rollup(leaves.items(), ancestors), scope=Q(), now=run.started_at
        )
        daily = _daily_counts()
        written += _write_days(LeafDaily, daily, scope=Q())
        written += _write_days(DailyStat, rollup_daily(daily.items(), ancestors), scope=Q())
        return _finish(run, cells=written, stale_rows=stale_rows)


def _reconcile_learners(*, since) -> tuple[set[tuple[int, int]], set[tuple[int, object]]]:
    """Enrolments follow learners who moved unit or changed audience group.

    Returns the (unit, course) pairs and (unit, day) trend cells that changed, old and new."""
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
            "id", "unit_id", "course_id", "counted_unit", "user__audience_group", "completed_at"
        )
    )
    pairs: set[tuple[int, int]] = set()
    days: set[tuple[int, object]] = set()
    paths = dict(Unit.objects.filter(id__in={r[3] for r in rows}).values_list("id", "path"))
    for enrollment_id, old_unit, course_id, new_unit, group, completed_at in rows:
        for unit_id in (old_unit, new_unit):
            if unit_id:
                pairs.add((unit_id, course_id))
                if completed_at:
                    days.add((unit_id, timezone.localdate(completed_at)))
        Enrollment.objects.filter(pk=enrollment_id).update(
            unit_id=new_unit, unit_path=paths.get(new_unit, ""), audience_group=group
        )
    return pairs, days


def _incremental(*, previous: StatsRun) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.INCREMENTAL)
    pairs = {(unit_id, course_id) for _id, unit_id, course_id, _day in stale_rows}
    days = {(unit_id, day) for _id, unit_id, _course, day in stale_rows if day}
    moved_pairs, moved_days = _reconcile_learners(since=previous.users_seen_until)
    pairs |= moved_pairs
    days |= moved_days
    since = previous.courses_seen_until
    changed_courses = set(
        Course.objects.filter(updated_at__gt=since).values_list("id", flat=True)
    ) | set(Assignment.objects.filter(updated_at__gt=since).values_list("course_id", flat=True))
    users_changed = User.objects.filter(updated_at__gt=previous.users_seen_until).exists()
    if not (pairs or changed_courses or users_changed):
        return _finish(run, cells=0, stale_rows=stale_rows)

    ancestors, paths = _ancestor_ids()
    assignments = _assignments()
    with transaction.atomic():
        stored = {
            (u, c, g): list(v)
            for u, c, g, *v in LeafStat.objects.values_list(
                "unit_id", "course_key", "audience_group", *FIELDS
            )
        }
        learners = {(u, g): v[LEARNERS] for (u, c, g), v in stored.items() if c == ALL_COURSES}
        affected_units = {u for u, _c in pairs}
        if users_changed:
            # Registered learners (and the targets built on them) of every unit that differs.
            fresh = population_counts()
            affected_units |= {
                key[0]
                for key in fresh.keys() | learners.keys()
                if fresh.get(key, 0) != learners.get(key, 0)
            }
            learners = fresh
        course_cells = {k: list(v) for k, v in stored.items() if k[1] != ALL_COURSES}
        if changed_courses:
            # Published, unpublished, archived or (re)assigned: recount those courses everywhere.
            for key in [k for k in course_cells if k[1] in changed_courses]:
                del course_cells[key]
            recounted = _enrollment_counts(course_ids=changed_courses)
            affected_units |= {k[0] for k in recounted} | {u for u, _g in learners}
            affected_units |= {u for u, course, _g in stored if course in changed_courses}
            course_cells.update(recounted)
            days |= set(_daily_counts())  # the trend of every unit may change too
            days |= {(u, d) for u, d in LeafDaily.objects.values_list("unit_id", "day")}
        if pairs:
            for key in [k for k in course_cells if (k[0], k[1]) in pairs]:
                del course_cells[key]
            course_cells.update(_enrollment_counts(pairs=pairs))
        for counts in course_cells.values():
            counts[LEARNERS] = counts[TARGET] = counts[TARGET_COMPLETED] = 0
        leaves = _complete_leaves(
            course_cells,
            unit_ids=affected_units,
            learners=learners,
            paths=paths,
            assignments=assignments,
        )
        written = _write_cells(LeafStat, leaves, scope=Q(unit_id__in=affected_units))
        stored = {k: v for k, v in stored.items() if k[0] not in affected_units}
        stored.update(leaves)
        wanted = {a for u in affected_units for a in ancestors.get(u, (u,))}
        written += _write_cells(
            UnitStat,
            rollup(stored.items(), ancestors, only=wanted),
            scope=Q(unit_id__in=wanted),
            now=run.started_at,
        )
        if days:
            daily = _daily_counts(unit_days=days)
            written += _write_days(LeafDaily, daily, scope=_unit_day_scope(days))
            touched_days = {d for _u, d in days}
            day_leaves = LeafDaily.objects.filter(day__in=touched_days).values_list(
                "unit_id", "day", "completed"
            )
            day_units = {a for u, _d in days for a in ancestors.get(u, (u,))}
            written += _write_days(
                DailyStat,
                rollup_daily((((u, d), n) for u, d, n in day_leaves), ancestors, only=day_units),
                scope=Q(day__in=touched_days, unit_id__in=day_units),
            )
        return _finish(run, cells=written, stale_rows=stale_rows)
