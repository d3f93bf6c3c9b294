"""The statistics engine: completion figures per unit subtree, course and audience group.

Two layers, both recomputed from source rows, never incremented:
1. leaf cells (LeafStat, LeafDaily): learners whose own unit is exactly that unit, computed from
   enrolments and users with SQL GROUP BY;
2. rolled-up cells (UnitStat, DailyStat): a unit and everything below it, summed from the leaf
   cells of its subtree (leaf cells are bounded by units x courses x groups, not by learners).

The incremental run recomputes leaf cells only for the units and courses named by
`courses.StaleCell` rows (written in the same transaction as each change) plus learners whose
profile changed, then rolls up the affected course keys and writes only the cells that changed.
The full rebuild recomputes every leaf cell. Both end in the same table.
"""

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
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
# Watermarks trail the run's start: a change stamped just before it but committed after it is
# seen again by the next run (recomputing is idempotent, missing it would not be).
WATERMARK_MARGIN = timedelta(seconds=60)
FIELDS = ("learners", "enrolled", "started", "completed", "certified", "target", "target_completed")

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


def _counted_enrollments(*, unit_ids=None, course_ids=None):
    qs = Enrollment.objects.filter(is_active=True, unit__isnull=False)
    published = _published_course_ids()
    course_ids = published if course_ids is None else sorted(set(course_ids) & set(published))
    qs = qs.filter(course_id__in=course_ids)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs


def population_counts(*, unit_ids=None) -> dict[tuple[int, str], int]:
    """Registered learners per (unit, audience group): counted where they work, else live."""
    qs = User.objects.filter(is_active=True).annotate(
        counted_unit=Coalesce("workplace_unit_id", "home_unit_id")
    )
    qs = qs.filter(counted_unit__isnull=False)
    if unit_ids is not None:
        qs = qs.filter(counted_unit__in=unit_ids)
    rows = qs.values("counted_unit", "audience_group").annotate(n=Count("id")).order_by()
    return {(r["counted_unit"], r["audience_group"]): r["n"] for r in rows}


def leaf_cells(*, unit_ids=None, course_ids=None) -> dict[Cell, Counts]:
    """Leaf counts from source rows. Course rows count enrolments; the all-courses row counts
    distinct learners (one learner has one unit and one group, so these add up across units)."""
    population = population_counts(unit_ids=unit_ids)
    cells: dict[Cell, Counts] = {}
    per_course = (
        _counted_enrollments(unit_ids=unit_ids, course_ids=course_ids)
        .values("unit_id", "course_id", "audience_group")
        .annotate(
            enrolled=Count("id"),
            started=Count("started_at"),
            completed=Count("completed_at"),
            certified=Count("id", filter=Q(certified=True)),
        )
        .order_by()
    )
    for r in per_course:
        learners = population.get((r["unit_id"], r["audience_group"]), 0)
        cells[(r["unit_id"], r["course_id"], r["audience_group"])] = [
            learners,
            r["enrolled"],
            r["started"],
            r["completed"],
            r["certified"],
            0,
            0,
        ]
    per_learner = (
        _counted_enrollments(unit_ids=unit_ids)
        .values("unit_id", "audience_group")
        .annotate(
            enrolled=Count("user_id", distinct=True),
            started=Count("user_id", distinct=True, filter=Q(started_at__isnull=False)),
            completed=Count("user_id", distinct=True, filter=Q(completed_at__isnull=False)),
            certified=Count("user_id", distinct=True, filter=Q(certified=True)),
        )
        .order_by()
    )
    for r in per_learner:
        learners = population.get((r["unit_id"], r["audience_group"]), 0)
        cells[(r["unit_id"], ALL_COURSES, r["audience_group"])] = [
            learners,
            r["enrolled"],
            r["started"],
            r["completed"],
            r["certified"],
            0,
            0,
        ]
    for (unit_id, group), learners in population.items():
        cells.setdefault((unit_id, ALL_COURSES, group), [learners, 0, 0, 0, 0, 0, 0])
    _add_targets(cells, population)
    return cells


def assigned_course_ids() -> set[int]:
    return set(
        Assignment.objects.filter(course__status=CourseStatus.PUBLISHED).values_list(
            "course_id", flat=True
        )
    )


def _add_targets(cells: dict[Cell, Counts], population) -> None:
    """Every learner of a (unit, group) covered by an assignment of a course is one target
    pair; its completion counts against the target. Coverage depends only on (unit, group)."""
    assignments = list(
        Assignment.objects.filter(course__status=CourseStatus.PUBLISHED).values_list(
            "course_id", "unit__path", "audience_group"
        )
    )
    if not assignments:
        return
    paths = dict(Unit.objects.filter(id__in={u for u, _g in population}).values_list("id", "path"))
    for (unit_id, group), learners in population.items():
        covered = {
            course_id
            for course_id, path, assigned_group in assignments
            if paths[unit_id].startswith(path) and assigned_group in ("", group)
        }
        total = cells[(unit_id, ALL_COURSES, group)]
        for course_id in covered:
            cell = cells.setdefault((unit_id, course_id, group), [learners, 0, 0, 0, 0, 0, 0])
            cell[5], cell[6] = learners, cell[3]
            total[5] += learners
            total[6] += cell[3]


def leaf_daily(*, unit_ids=None) -> dict[tuple[int, object], int]:
    since = timezone.localdate() - timedelta(days=TREND_DAYS)
    rows = (
        _counted_enrollments(unit_ids=unit_ids)
        .filter(completed_at__date__gte=since)
        .annotate(day=TruncDate("completed_at"))
        .values("unit_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["unit_id"], r["day"]): r["n"] for r in rows}


# Roll-up ---------------------------------------------------------------------------------


def _ancestor_ids() -> dict[int, list[int]]:
    """Each unit's id with every ancestor's, read from the materialized paths."""
    units = list(Unit.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _path in units}
    return {
        pk: [id_by_code[c] for c in path.split("/") if c and c in id_by_code]
        for pk, _code, path in units
    }


def rollup(leaves: Iterable[tuple[Cell, Counts]], ancestors: dict[int, list[int]]):
    totals: dict[Cell, Counts] = defaultdict(lambda: [0] * len(FIELDS))
    for (unit_id, course_key, group), counts in leaves:
        for ancestor in ancestors.get(unit_id, (unit_id,)):
            for key in ((ancestor, course_key, group), (ancestor, course_key, ALL_GROUPS)):
                target = totals[key]
                for i, value in enumerate(counts):
                    target[i] += value
    # A course's "registered learners" is the whole population of the unit and group.
    for (unit_id, course_key, group), counts in totals.items():
        if course_key != ALL_COURSES:
            population = totals.get((unit_id, ALL_COURSES, group))
            counts[0] = population[0] if population else 0
    return totals


def rollup_daily(leaves: Iterable[tuple[tuple[int, object], int]], ancestors):
    totals: dict[tuple[int, object], int] = defaultdict(int)
    for (unit_id, day), n in leaves:
        for ancestor in ancestors.get(unit_id, (unit_id,)):
            totals[(ancestor, day)] += n
    return totals


# Writes ----------------------------------------------------------------------------------


def _replace_leaf_stats(cells: dict[Cell, Counts], *, scope: Q) -> None:
    LeafStat.objects.filter(scope).delete()
    LeafStat.objects.bulk_create(
        [
            LeafStat(
                unit_id=u, course_key=c, audience_group=g, **dict(zip(FIELDS, counts, strict=True))
            )
            for (u, c, g), counts in cells.items()
        ],
        batch_size=2000,
    )


def _write_unit_stats(totals: dict[Cell, Counts], *, scope: Q, now) -> int:
    """Upsert the cells whose figures changed and delete cells that no longer exist."""
    existing = {
        (u, c, g): list(counts)
        for u, c, g, *counts in UnitStat.objects.filter(scope).values_list(
            "unit_id", "course_key", "audience_group", *FIELDS
        )
    }
    changed = [
        UnitStat(
            unit_id=u,
            course_key=c,
            audience_group=g,
            computed_at=now,
            **dict(zip(FIELDS, counts, strict=True)),
        )
        for (u, c, g), counts in totals.items()
        if existing.get((u, c, g)) != counts
    ]
    UnitStat.objects.bulk_create(
        changed,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit", "course_key", "audience_group"],
        update_fields=[*FIELDS, "computed_at"],
    )
    gone = [cell for cell in existing if cell not in totals]
    for unit_id, course_key, group in gone:
        UnitStat.objects.filter(
            unit_id=unit_id, course_key=course_key, audience_group=group
        ).delete()
    return len(changed) + len(gone)


def _write_daily(totals: dict[tuple[int, object], int], *, scope: Q) -> int:
    existing = dict(
        ((u, d), n)
        for u, d, n in DailyStat.objects.filter(scope).values_list("unit_id", "day", "completed")
    )
    changed = [
        DailyStat(unit_id=u, day=d, completed=n)
        for (u, d), n in totals.items()
        if existing.get((u, d)) != n
    ]
    DailyStat.objects.bulk_create(
        changed,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit", "day"],
        update_fields=["completed"],
    )
    gone = [key for key in existing if key not in totals]
    for unit_id, day in gone:
        DailyStat.objects.filter(unit_id=unit_id, day=day).delete()
    return len(changed) + len(gone)


# Runs ------------------------------------------------------------------------------------


def _finish(run: StatsRun, *, cells: int, stale: int) -> StatsRun:
    run.cells_written = cells
    run.stale_rows = stale
    run.finished_at = timezone.now()
    run.save()
    return run


def stats_full_rebuild(*, wait_s: float = 300) -> StatsRun:
    """Recompute every cell from source rows (nightly, `rebuild_stats`, the admin action)."""
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


def _start(kind: str) -> tuple[StatsRun, list[tuple[int, int, int]]]:
    run = StatsRun.objects.create(kind=kind)
    run.users_seen_until = run.courses_seen_until = run.started_at - WATERMARK_MARGIN
    # Only the rows read now are resolved by this run: anything marked later waits for the next.
    stale_rows = list(StaleCell.objects.values_list("id", "unit_id", "course_id"))
    return run, stale_rows


def _full_rebuild(*, previous: StatsRun | None) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.FULL)
    _reconcile_learners(since=previous.users_seen_until if previous else None)
    with transaction.atomic():
        cells = leaf_cells()
        daily = leaf_daily()
        ancestors = _ancestor_ids()
        _replace_leaf_stats(cells, scope=Q())
        LeafDaily.objects.all().delete()
        LeafDaily.objects.bulk_create(
            [LeafDaily(unit_id=u, day=d, completed=n) for (u, d), n in daily.items()],
            batch_size=2000,
        )
        written = _write_unit_stats(rollup(cells.items(), ancestors), scope=Q(), now=run.started_at)
        written += _write_daily(rollup_daily(daily.items(), ancestors), scope=Q())
        stale = StaleCell.objects.filter(id__in=[row[0] for row in stale_rows]).delete()[0]
    return _finish(run, cells=written, stale=stale)


def _reconcile_learners(*, since) -> set[tuple[int, int]]:
    """Enrolments follow learners who moved unit or changed audience group.

    Returns the (unit, course) pairs whose leaf cells changed: the old ones and the new ones."""
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
            "id", "unit_id", "course_id", "counted_unit", "user__audience_group"
        )
    )
    touched: set[tuple[int, int]] = set()
    paths = dict(Unit.objects.filter(id__in={r[3] for r in rows}).values_list("id", "path"))
    for enrollment_id, old_unit, course_id, new_unit, group in rows:
        if old_unit:
            touched.add((old_unit, course_id))
        if new_unit:
            touched.add((new_unit, course_id))
        Enrollment.objects.filter(pk=enrollment_id).update(
            unit_id=new_unit, unit_path=paths.get(new_unit, ""), audience_group=group
        )
    return touched


def _incremental(*, previous: StatsRun) -> StatsRun:
    run, stale_rows = _start(StatsRun.Kind.INCREMENTAL)
    pairs = {(unit_id, course_id) for _id, unit_id, course_id in stale_rows}
    pairs |= _reconcile_learners(since=previous.users_seen_until)
    since = previous.courses_seen_until
    changed_courses = set(
        Course.objects.filter(updated_at__gt=since).values_list("id", flat=True)
    ) | set(Assignment.objects.filter(updated_at__gt=since).values_list("course_id", flat=True))
    unit_ids = {u for u, _c in pairs}
    course_ids = {c for _u, c in pairs}
    if changed_courses:
        # Published, unpublished, archived or (re)assigned: every unit with learners may change.
        course_ids |= changed_courses
        unit_ids |= set(LeafStat.objects.values_list("unit_id", flat=True).distinct())
        unit_ids |= {u for u, _g in population_counts()}
        unit_ids |= set(
            Enrollment.objects.filter(course_id__in=changed_courses, unit__isnull=False)
            .values_list("unit_id", flat=True)
            .distinct()
        )
    if User.objects.filter(updated_at__gt=previous.users_seen_until).exists():
        # Registered learners sit on every leaf row of their unit: refresh the units that differ.
        fresh = population_counts()
        stored = {
            (u, g): n
            for u, g, n in LeafStat.objects.filter(course_key=ALL_COURSES).values_list(
                "unit_id", "audience_group", "learners"
            )
        }
        differ = {
            key[0]
            for key in fresh.keys() | stored.keys()
            if fresh.get(key, 0) != stored.get(key, 0)
        }
        unit_ids |= differ
        course_ids |= set(
            LeafStat.objects.filter(unit_id__in=differ).values_list("course_key", flat=True)
        ) - {ALL_COURSES}
    if not unit_ids:
        return _finish(run, cells=0, stale=0)
    # A leaf's all-courses target adds up every assigned course: recompute them together.
    course_ids |= assigned_course_ids()
    course_keys = course_ids | {ALL_COURSES}
    with transaction.atomic():
        cells = leaf_cells(unit_ids=unit_ids, course_ids=course_ids)
        _replace_leaf_stats(cells, scope=Q(unit_id__in=unit_ids, course_key__in=course_keys))
        daily = leaf_daily(unit_ids=unit_ids)
        LeafDaily.objects.filter(unit_id__in=unit_ids).delete()
        LeafDaily.objects.bulk_create(
            [LeafDaily(unit_id=u, day=d, completed=n) for (u, d), n in daily.items()],
            batch_size=2000,
        )
        ancestors = _ancestor_ids()
        affected = {a for u in unit_ids for a in ancestors.get(u, (u,))}
        leaves = LeafStat.objects.filter(course_key__in=course_keys).values_list(
            "unit_id", "course_key", "audience_group", *FIELDS
        )
        totals = rollup((((u, c, g), list(rest)) for u, c, g, *rest in leaves), ancestors)
        written = _write_unit_stats(
            {k: v for k, v in totals.items() if k[0] in affected},
            scope=Q(unit_id__in=affected, course_key__in=course_keys),
            now=run.started_at,
        )
        daily_leaves = LeafDaily.objects.values_list("unit_id", "day", "completed")
        daily_totals = rollup_daily((((u, d), n) for u, d, n in daily_leaves), ancestors)
        written += _write_daily(
            {k: v for k, v in daily_totals.items() if k[0] in affected},
            scope=Q(unit_id__in=affected),
        )
        stale = StaleCell.objects.filter(id__in=[row[0] for row in stale_rows]).delete()[0]
    return _finish(run, cells=written, stale=stale)
