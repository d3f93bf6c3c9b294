"""An independent, deliberately naive recount of the statistics table from source rows.

It reads learners' *current* unit and group from the user (not the enrolment's copies), so it
also proves that moves are followed.
"""

from collections import defaultdict

from accounts.models import User
from courses.models import Assignment, Enrollment
from reports.models import ALL_COURSES, ALL_GROUPS, UnitStat
from units.models import Unit


def _ancestors():
    units = list(Unit.objects.values_list("id", "path"))
    by_path = {path: pk for pk, path in units}
    result = {}
    for pk, path in units:
        parts = [p for p in path.split("/") if p]
        result[pk] = [by_path["/" + "/".join(parts[: i + 1]) + "/"] for i in range(len(parts))]
    return result


def recount() -> dict:
    ancestors = _ancestors()
    table = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    _count_learners(table, ancestors)
    _count_enrollments(table, ancestors)
    _count_targets(table, ancestors)
    for (a, course_key, g), cell in table.items():
        if course_key != ALL_COURSES:
            cell[0] = table[(a, ALL_COURSES, g)][0] if (a, ALL_COURSES, g) in table else 0
    return {key: tuple(value) for key, value in table.items()}


def _cells(unit_id, ancestors, group, course_id=None):
    """The keys a learner of `unit_id` and `group` counts in: every subtree they are in, their
    group and all groups, the course (when given) and all courses."""
    for a in ancestors[unit_id]:
        for g in (group, ALL_GROUPS):
            if course_id is None:
                yield (a, ALL_COURSES, g)
            else:
                yield from ((a, course_id, g), (a, ALL_COURSES, g))


def _count_learners(table, ancestors):
    for user in User.objects.filter(is_active=True):
        unit_id = user.workplace_unit_id or user.home_unit_id
        if unit_id is None:
            continue
        for key in _cells(unit_id, ancestors, user.audience_group):
            table[key][0] += 1


def _count_enrollments(table, ancestors):
    for e in Enrollment.objects.filter(is_active=True, course__status="published").select_related(
        "user"
    ):
        user = e.user
        unit_id = user.workplace_unit_id or user.home_unit_id
        if unit_id is None:
            continue
        flags = [
            1,
            int(e.started_at is not None),
            int(e.completed_at is not None),
            int(e.certified),
        ]
        # Course cells count enrolments; the all-courses cell adds them up.
        for key in _cells(unit_id, ancestors, user.audience_group, e.course_id):
            for i, value in enumerate(flags, start=1):
                table[key][i] += value


def _count_targets(table, ancestors):
    """Every (learner, course) pair an assignment covers, and whether it is completed."""
    units = dict(Unit.objects.values_list("id", "path"))
    assignments = list(
        Assignment.objects.filter(course__status="published").values_list(
            "course_id", "unit__path", "audience_group"
        )
    )
    completed_pairs = set(
        Enrollment.objects.filter(is_active=True, completed_at__isnull=False).values_list(
            "user_id", "course_id"
        )
    )
    for user in User.objects.filter(is_active=True):
        unit_id = user.workplace_unit_id or user.home_unit_id
        if unit_id is None:
            continue
        courses = {
            c
            for c, path, g in assignments
            if units[unit_id].startswith(path) and g in ("", user.audience_group)
        }
        for course_id in courses:
            done = int((user.pk, course_id) in completed_pairs)
            for key in _cells(unit_id, ancestors, user.audience_group, course_id):
                table[key][5] += 1
                table[key][6] += done


def stored() -> dict:
    return {(s.unit_id, s.course_key, s.audience_group): s.counts() for s in UnitStat.objects.all()}


def recount_daily() -> dict:
    """Course completions per unit subtree and local day, from the enrolments."""
    from django.utils import timezone

    ancestors = _ancestors()
    table = defaultdict(int)
    enrollments = Enrollment.objects.filter(
        is_active=True, course__status="published", completed_at__isnull=False
    ).select_related("user")
    for e in enrollments:
        unit_id = e.user.workplace_unit_id or e.user.home_unit_id
        if unit_id is None:
            continue
        for a in ancestors[unit_id]:
            table[(a, timezone.localdate(e.completed_at))] += 1
    return dict(table)


def stored_daily() -> dict:
    from reports.models import DailyStat

    return {(d.unit_id, d.day): d.completed for d in DailyStat.objects.all()}
