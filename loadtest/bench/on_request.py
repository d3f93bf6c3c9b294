"""The least the statistics can cost and what reports computed on request cost: one raw
GROUP BY over the enrolments (the floor of any rebuild), and the city's figures computed from
source rows by path prefix, as platforms without a statistics table do on every page view."""

import time

from django.db import connection

from reports.models import ALL_COURSES, ALL_GROUPS, UnitStat
from units.models import COMMUNE_KINDS, Unit

COUNT_FIELDS = ("learners", "enrolled", "started", "completed", "certified")

SQL_FLOOR = """
SELECT unit_id, course_id, audience_group, count(*), count(started_at), count(completed_at),
       count(*) FILTER (WHERE certified)
FROM courses_enrollment e JOIN courses_course c ON c.id = e.course_id
WHERE e.is_active AND c.status = 'published'
GROUP BY 1, 2, 3
"""

# The city's figures straight from source rows: registered learners, and enrolments over all
# courses and groups, for the city and for each child unit, matched by path prefix.
ON_REQUEST_REGISTERED = """
SELECT child.id, count(*)
FROM accounts_user u
JOIN units_unit lu ON lu.id = COALESCE(u.workplace_unit_id, u.home_unit_id)
JOIN units_unit child ON lu.path LIKE child.path || '%%'
WHERE u.is_active AND (child.id = %(unit)s OR child.parent_id = %(unit)s)
GROUP BY child.id
"""
ON_REQUEST_PROGRESS = """
SELECT child.id,
       count(*),
       count(e.started_at),
       count(e.completed_at),
       count(*) FILTER (WHERE e.certified)
FROM courses_enrollment e
JOIN courses_course c ON c.id = e.course_id
JOIN units_unit lu ON lu.id = e.unit_id
JOIN units_unit child ON lu.path LIKE child.path || '%%'
WHERE e.is_active AND c.status = 'published' AND (child.id = %(unit)s OR child.parent_id = %(unit)s)
GROUP BY child.id
"""

BUSIEST_COMMUNE = """
SELECT child.id
FROM accounts_user u
JOIN units_unit lu ON lu.id = COALESCE(u.workplace_unit_id, u.home_unit_id)
JOIN units_unit child ON lu.path LIKE child.path || '%%'
WHERE u.is_active AND child.parent_id = %(unit)s AND child.kind = ANY(%(kinds)s)
GROUP BY child.id
ORDER BY count(*) DESC, child.id
LIMIT 1
"""


def sql_floor_once() -> tuple[float, int]:
    """One run of the leaf GROUP BY, all rows fetched: (seconds, rows)."""
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(SQL_FLOOR)
        rows = len(cursor.fetchall())
        return time.perf_counter() - started, rows


def on_request_report(*, unit: Unit) -> dict[int, tuple[int, int, int, int, int]]:
    """(learners, enrolled, started, completed, certified) for the unit and each child unit,
    computed from accounts_user and courses_enrollment on request."""
    with connection.cursor() as cursor:
        cursor.execute(ON_REQUEST_REGISTERED, {"unit": unit.pk})
        registered = dict(cursor.fetchall())
        cursor.execute(ON_REQUEST_PROGRESS, {"unit": unit.pk})
        progress = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    children = Unit.objects.filter(parent=unit).values_list("id", flat=True)
    return {
        pk: (registered.get(pk, 0), *progress.get(pk, (0, 0, 0, 0))) for pk in [unit.pk, *children]
    }


def precomputed_report(*, unit: Unit) -> dict[int, tuple[int, int, int, int, int]]:
    """The same figures as stored by the statistics engine (all courses, all groups)."""
    ids = [unit.pk, *Unit.objects.filter(parent=unit).values_list("id", flat=True)]
    stored = {
        s.unit_id: tuple(getattr(s, name) for name in COUNT_FIELDS)
        for s in UnitStat.objects.filter(
            unit_id__in=ids, course_key=ALL_COURSES, audience_group=ALL_GROUPS
        )
    }
    return {pk: stored.get(pk, (0, 0, 0, 0, 0)) for pk in ids}


def busiest_commune(city: Unit) -> Unit | None:
    """The commune of the city with most registered learners in its subtree."""
    with connection.cursor() as cursor:
        cursor.execute(BUSIEST_COMMUNE, {"unit": city.pk, "kinds": list(COMMUNE_KINDS)})
        row = cursor.fetchone()
    return Unit.objects.get(pk=row[0]) if row else None
