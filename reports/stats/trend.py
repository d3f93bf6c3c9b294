"""The trend (DailyStat): course completions per unit subtree and local day, counted from the
enrolments' stored completion day and its index, and summed up the tree in the same statement."""

from datetime import timedelta

from django.utils import timezone

from .sql import merge, sql_in

TREND_DAYS = 180


def recount_trend(cursor, published: list[int], *, days: set | None = None) -> int:
    """DailyStat: course completions per unit subtree and local day within the trend window,
    for every day or the days named. A day's completions are few and indexed, so a named day
    is recounted whole, for every unit, straight from the enrolments."""
    since = timezone.localdate() - timedelta(days=TREND_DAYS)
    in_published, params = sql_in("e.course_id", published)
    leaf = (
        "SELECT e.completed_day AS day, e.unit_id, COUNT(*) AS completed "
        "FROM courses_enrollment e WHERE e.is_active AND e.completed_day IS NOT NULL "
        f"AND {in_published} AND e.completed_day >= %s AND e.unit_id IS NOT NULL "
    )
    params = [*params, since]
    scope, scope_params = "", []
    if days is not None:
        scope, scope_params = sql_in("day", days, "date")
        leaf += f"AND {sql_in('e.completed_day', days, 'date')[0]} "
        params += scope_params
    # Day first: the index is ordered that way, so the leaf counts need no hash table.
    leaf += "GROUP BY e.completed_day, e.unit_id"
    return merge(
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
