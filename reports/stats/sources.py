"""What the statistics are counted from, and what changed since the last run: published
courses, assignments, registered learners, the stale cells `courses.services` marks, and
learners who moved unit or changed audience group (their enrolments follow them)."""

from django.db.models import F, Q

from accounts.models import User, counted_unit
from courses.models import Assignment, Course, CourseStatus, Enrollment, StaleCell
from courses.services.enrolments import enrollments_follow_learners

Shard = tuple[int, int, str, int]  # (unit id, course id, audience group, shard)
StaleRow = tuple[int, int, int, str, int, object]  # (id, unit, course, group, shard, day)


def published_course_ids() -> list[int]:
    return list(Course.objects.filter(status=CourseStatus.PUBLISHED).values_list("id", flat=True))


def published_assignments() -> list[tuple[int, str, str]]:
    """(course id, unit path, audience group) of every assignment of a published course."""
    return list(
        Assignment.objects.filter(course__status=CourseStatus.PUBLISHED).values_list(
            "course_id", "unit__path", "audience_group"
        )
    )


def population_counts(cursor) -> dict[tuple[int, str], int]:
    """Registered learners per (unit, audience group): counted where they work, else live."""
    cursor.execute(
        "SELECT COALESCE(workplace_unit_id, home_unit_id), audience_group, COUNT(*) "
        "FROM accounts_user WHERE is_active "
        "AND COALESCE(workplace_unit_id, home_unit_id) IS NOT NULL "
        "GROUP BY COALESCE(workplace_unit_id, home_unit_id), audience_group"
    )
    return {(unit_id, group): n for unit_id, group, n in cursor.fetchall()}


def stale_rows_read() -> list[StaleRow]:
    """The stale cells marked so far: only these are resolved by the run that reads them."""
    columns = ("id", "unit_id", "course_id", "audience_group", "shard", "day")
    return list(StaleCell.objects.values_list(*columns))


def stale_rows_resolve(stale_rows: list[StaleRow]) -> int:
    """Delete the stale cells a run has recounted; those marked after it read them stay."""
    return StaleCell.objects.filter(id__in=[row[0] for row in stale_rows]).delete()[0]


def courses_changed_since(since) -> bool:
    """A course or an assignment changed: published, unpublished, archived or (re)assigned."""
    return (
        Course.objects.filter(updated_at__gt=since).exists()
        or Assignment.objects.filter(updated_at__gt=since).exists()
    )


def users_changed_since(since) -> bool:
    return User.objects.filter(updated_at__gt=since).exists()


def reconcile_learners(*, since) -> tuple[set[Shard], set[tuple[int, object]]]:
    """Enrolments follow learners who moved unit or changed audience group.

    Returns the shards and (unit, day) trend cells that changed, old and new."""
    enrollments = Enrollment.objects.annotate(counted_unit=counted_unit(prefix="user__")).filter(
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
    for _id, shard, old_unit, course_id, old_group, new_unit, group, day in rows:
        for unit_id, unit_group in ((old_unit, old_group), (new_unit, group)):
            if unit_id:
                shards.add((unit_id, course_id, unit_group, shard))
                if day:
                    days.add((unit_id, day))
    # The enrolments are the courses app's rows: it moves them.
    enrollments_follow_learners(moves=[(row[0], row[5], row[6]) for row in rows])
    return shards, days
