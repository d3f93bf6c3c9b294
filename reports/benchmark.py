"""Measures the statistics engine and the officials' report page on a generated data set.

Every figure is a wall-clock time on this database; what is compared with what:
- the full rebuild against one raw GROUP BY over the same rows (the least any rebuild can cost);
- the report page, which reads precomputed cells, against the same city figures computed from
  source rows on request (what platforms without a statistics table do on every page view).
"""

import logging
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import Role, UnitRole, User
from accounts.services import session_second_factor_mark
from courses.models import Choice, Course, CourseStatus, Enrollment, Lesson, LessonKind, QuizAttempt
from units.models import COMMUNE_KINDS, Unit

from .loadgen import (
    CITY_CODE,
    LOAD_EMAIL_DOMAIN,
    expected_enrollments_per_learner,
    load_generate,
    tables_maintain,
)

OFFICIAL_EMAIL = "bench.official@example.invalid"
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

Progress = Callable[[str], None]
ROUNDS_REBUILD = 3  # full rebuilds and floors, alternately: the best of each is compared
ROUNDS_PAGES = 5  # on-request reports, each followed by PAGE_REQUESTS_PER_ROUND of each page
PAGE_REQUESTS_PER_ROUND = 4


class QueryCounter:
    """Counts every statement the connection executes (the request cycle resets query logs)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def _timed(fn: Callable) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


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
    from .models import ALL_COURSES, ALL_GROUPS, UnitStat

    ids = [unit.pk, *Unit.objects.filter(parent=unit).values_list("id", flat=True)]
    stored = {
        s.unit_id: tuple(getattr(s, name) for name in COUNT_FIELDS)
        for s in UnitStat.objects.filter(
            unit_id__in=ids, course_key=ALL_COURSES, audience_group=ALL_GROUPS
        )
    }
    return {pk: stored.get(pk, (0, 0, 0, 0, 0)) for pk in ids}


def _correct_answers(lesson: Lesson) -> dict[int, set[int]]:
    answers: dict[int, set[int]] = {}
    for question in lesson.questions.all():
        correct = [c.pk for c in Choice.objects.filter(question=question, is_correct=True)]
        answers[question.pk] = set(correct[:1] if question.kind == "single" else correct)
    return answers


def learner_changes(*, count: int = 1000, seed: int = 42) -> Counter:
    """Change `count` generated enrolments through the real services (each marks its cell
    stale): the next lesson for part-way learners, a few leave, a few new enrolments."""
    from courses import services

    rng = random.Random(seed)
    few = max(1, count // 50)
    generated = Enrollment.objects.filter(user__email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
    part_way = list(
        generated.filter(is_active=True, started_at__isnull=False, completed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = rng.sample(part_way, min(len(part_way), count - 2 * few))
    leaving = rng.sample(sorted(set(part_way) - set(chosen)), min(few, len(part_way) - len(chosen)))
    lessons: dict[int, list[int]] = {}
    answers: dict[int, dict] = {}
    done = Counter()
    for enrollment in (
        generated.filter(pk__in=chosen).select_related("user", "course").order_by("pk")
    ):
        ordered = lessons.setdefault(
            enrollment.course_id, services.course_lesson_ids(course_id=enrollment.course_id)
        )
        completed = set(enrollment.completions.values_list("lesson_id", flat=True))
        lesson = Lesson.objects.select_related("course").get(
            pk=next(pk for pk in ordered if pk not in completed)
        )
        if lesson.kind == LessonKind.QUIZ:
            if lesson.pk not in answers:
                answers[lesson.pk] = _correct_answers(lesson)
            tried = QuizAttempt.objects.filter(enrollment=enrollment, lesson=lesson).count()
            services.quiz_submit(
                user=enrollment.user,
                lesson=lesson,
                answers=answers[lesson.pk],
                attempt_number=tried + 1,
            )
            done["quiz passed"] += 1
        else:
            services.lesson_complete(user=enrollment.user, lesson=lesson)
            done["lesson completed"] += 1
    for enrollment in generated.filter(pk__in=leaving).order_by("pk"):
        services.enrollment_leave(enrollment=enrollment)
        done["left"] += 1
    courses = list(Course.objects.filter(status=CourseStatus.PUBLISHED).order_by("pk"))
    learners = list(
        User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for user_id in rng.sample(learners, min(few * 3, len(learners))):
        if done["enrolled"] == few:
            break
        taken = set(Enrollment.objects.filter(user_id=user_id).values_list("course_id", flat=True))
        free = [c for c in courses if c.pk not in taken]
        if free:
            user = User.objects.select_related("workplace_unit", "home_unit").get(pk=user_id)
            services.enrollment_create(user=user, course=rng.choice(free))
            done["enrolled"] += 1
    return done


def _official() -> User:
    user = User.objects.filter(email=OFFICIAL_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=OFFICIAL_EMAIL, password=None, full_name="Cán bộ theo dõi (đo hiệu năng)"
        )
    UnitRole.objects.update_or_create(
        user=user, role=Role.OFFICIAL, defaults={"unit": Unit.objects.get(code=CITY_CODE)}
    )
    return user


def page_check(client: Client, url: str) -> dict:
    """The page's status and, when it answers, its number of queries (after a warm-up)."""
    with _quiet_request_errors():
        response = client.get(url)  # warm-up: connection, templates, caches
    if response.status_code != 200:
        error = response.exc_info[1] if getattr(response, "exc_info", None) else None
        return {"status": response.status_code, "error": repr(error) if error else None}
    with QueryCounter() as queries:
        response = client.get(url)
    return {"status": response.status_code, "queries": queries.count}


@contextmanager
def _quiet_request_errors():
    """A failing page is reported in the figures, not as a traceback on the console."""
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        request_logger.setLevel(level)


def bench_stats(
    *, enrollments: int, seed: int = 42, reuse: bool = False, progress: Progress | None = None
) -> dict:
    say = progress or (lambda _message: None)
    notes: list[str] = []
    figures: dict = {
        "seed": seed,
        "database": connection.vendor,
        "debug": settings.DEBUG,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    learners = max(1, round(enrollments / expected_enrollments_per_learner()))
    generated = User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
    if reuse and generated.count() == learners:
        figures["generate_s"] = None
        notes.append(f"reused the existing generated set of {learners} learners")
        # Earlier runs' changes are left as a running site leaves them until autovacuum passes;
        # vacuumed, the reused set is in the state a new one is generated in.
        tables_maintain("VACUUM ANALYZE", say)
    else:
        summary = load_generate(learners=learners, seed=seed, progress=say)
        figures["generate_s"] = summary.elapsed_s
    figures["enrollments"] = Enrollment.objects.count()
    figures["learners"] = User.objects.count()
    figures["generated_learners"] = generated.count()

    try:
        from . import engine
    except ImportError:
        engine = None
        notes.append("missing: reports.engine (no rebuild or incremental figures)")

    # Each comparison is timed in alternation, so that a slower moment of the machine falls
    # on both sides of it: the rebuild with the floor, the pages with the on-request SQL.
    say("full rebuild and SQL floor, alternately (best of 3 each, after a warm-up)")
    rebuilds, floors, rows, run = [], [], 0, None
    if engine is not None:
        figures["full_rebuild_first_s"] = round(_timed(engine.stats_full_rebuild)[0], 3)
    for _ in range(ROUNDS_REBUILD):
        if engine is not None:
            elapsed, run = _timed(engine.stats_full_rebuild)
            rebuilds.append(elapsed)
        elapsed, rows = sql_floor_once()
        floors.append(elapsed)
    if engine is not None:
        figures["full_rebuild_s"] = round(min(rebuilds), 3)
        figures["full_rebuild_runs_s"] = [round(t, 3) for t in rebuilds]
        figures["full_rebuild_cells_written"] = run.cells_written
    else:
        figures["full_rebuild_s"] = figures["full_rebuild_first_s"] = None
    floor = min(floors)
    figures["sql_floor_s"] = round(floor, 3)
    figures["sql_floor_runs_s"] = [round(t, 3) for t in floors]
    figures["sql_floor_rows"] = rows
    figures["rebuild_over_floor"] = (
        round(figures["full_rebuild_s"] / floor, 1) if figures["full_rebuild_s"] else None
    )

    say("1,000 learner changes through courses.services")
    elapsed, changes = _timed(lambda: learner_changes(count=1000, seed=seed))
    figures["changes"] = dict(changes)
    figures["changes_s"] = round(elapsed, 2)
    if engine is not None:
        elapsed, run = _timed(engine.stats_incremental)
        figures["incremental_1000_s"] = round(elapsed, 3) if run is not None else None
        if run is None:
            notes.append("stats_incremental skipped: another run held the engine lock")
        else:
            figures["incremental_stale_rows"] = run.stale_rows
            figures["incremental_cells_written"] = run.cells_written
        # The same full rebuild before autovacuum has passed over the changed pages: the
        # enrolments' index is then read with a visit to each changed page.
        say("full rebuild after the changes, before any vacuum")
        elapsed, run = _timed(engine.stats_full_rebuild)
        figures["full_rebuild_after_changes_s"] = round(elapsed, 3)
        figures["full_rebuild_after_changes_cells_written"] = run.cells_written
        if run.cells_written:
            notes.append(
                f"the full rebuild after the incremental run rewrote {run.cells_written} cells: "
                "the incremental run left them wrong"
            )
    else:
        figures["incremental_1000_s"] = None

    city = Unit.objects.get(code=CITY_CODE)
    page_url = f"/reports/units/{CITY_CODE}/"
    try:
        resolve(page_url)
        has_page = True
    except Resolver404:
        has_page = False
        notes.append(f"missing: the report page {page_url}")
    commune = _busiest_commune(city)
    figures["commune"] = f"{commune.code} {commune.name}" if commune else None
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.force_login(_official())
    session = client.session  # the official's log-in passed its second factor
    session_second_factor_mark(session=session)
    session.save()
    pages: dict[str, str] = {}
    for key, unit in (("root", city), ("commune", commune)):
        figures[f"report_{key}_ms"] = figures[f"report_{key}_queries"] = None
        if has_page and unit is not None:
            url = f"/reports/units/{unit.code}/"
            page = page_check(client, url)
            figures[f"report_{key}_status"] = page["status"]
            if page["status"] == 200:
                figures[f"report_{key}_queries"] = page["queries"]
                pages[key] = url
            else:
                notes.append(
                    f"report page of {unit.code} answered {page['status']}: {page.get('error')}"
                )

    say("report pages and the city report from source rows on request, alternately")
    on_request_timings: list[float] = []
    page_timings: dict[str, list[float]] = {key: [] for key in pages}
    on_request = {}
    for _ in range(ROUNDS_PAGES):
        elapsed, on_request = _timed(lambda: on_request_report(unit=city))
        on_request_timings.append(elapsed)
        for key, url in pages.items():
            for _ in range(PAGE_REQUESTS_PER_ROUND):
                page_timings[key].append(_timed(lambda url=url: client.get(url))[0])
    for key, timings in page_timings.items():
        figures[f"report_{key}_ms"] = round(statistics.median(timings) * 1000, 1)
    figures["on_request_root_ms"] = round(statistics.median(on_request_timings) * 1000, 1)
    figures["on_request_rows"] = len(on_request)
    figures["precomputed_speedup"] = (
        round(figures["on_request_root_ms"] / figures["report_root_ms"], 1)
        if figures["report_root_ms"]
        else None
    )
    if engine is not None:
        stored = precomputed_report(unit=city)
        wrong = sorted(pk for pk in on_request if tuple(on_request[pk]) != tuple(stored[pk]))
        figures["on_request_matches_precomputed"] = not wrong
        if wrong:
            notes.append(
                f"precomputed figures differ from source rows for {len(wrong)} units, e.g. "
                f"unit {wrong[0]}: stored {stored[wrong[0]]}, source {on_request[wrong[0]]}"
            )
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["notes"] = notes
    return figures


def _busiest_commune(city: Unit) -> Unit | None:
    """The commune of the city with most registered learners in its subtree."""
    with connection.cursor() as cursor:
        cursor.execute(BUSIEST_COMMUNE, {"unit": city.pk, "kinds": list(COMMUNE_KINDS)})
        row = cursor.fetchone()
    return Unit.objects.get(pk=row[0]) if row else None
