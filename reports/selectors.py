"""Reads for the officials' report pages and exports: precomputed tables only, in a fixed
number of queries whatever the number of child units or courses.

The page's figures are turned into display strings here, in one pass in Python (numbers grouped
in the active language, links built from one reversed prefix): formatting each cell in the
template (a filter, a `{% url %}` and attribute lookups per cell) cost ten times the queries."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceGroup, User
from accounts.selectors import role_root_unit, scoped_to
from courses.models import Course, CourseStatus
from courses.sanitize import text_fold
from units.models import ORGANISATION_KINDS, Unit, UnitKind

from .models import ALL_COURSES, ALL_GROUPS, DailyStat, ExportJob, StatsRun, UnitStat

logger = logging.getLogger(__name__)

# The child table's orders; "-" puts the best first. Only ever set by the column links.
SORTS = ("-rate", "rate", "name", "-completed", "completed", "-target_rate", "target_rate")
DEFAULT_SORT = "-rate"
TREND_DAYS = 90
RECENT_EXPORTS = 5
# The rendered report (all of the page but the reader's exports) is cached per root, unit,
# filters, language, day and statistics run: a new run changes the key, so new figures show at
# once. Bump the version when the fragment's markup changes, so a deploy never serves the old
# markup. The timeout bounds how long the renderings of past runs stay in the cache, and how
# long a renamed unit or course may keep its old name on a page when no run follows. The time
# the figures were last checked changes without a new run: the fragment leaves a slot for it.
BODY_CACHE_VERSION = 2
BODY_FRESHNESS_SLOT = SafeString("<!--report-freshness-->")
BODY_CACHE_SECONDS = 120
DASH = "—"
# What every report page reads first, the latest run and the course list, is kept in the cache
# and forgotten whenever a run or a course is saved or deleted (`report_meta_forget`, connected
# in apps.py). The timeout bounds the one race left: a page that read the database just before
# another process committed a run, and stored what it read just after that run was forgotten.
META_CACHE_KEY = "reports:meta:2"
META_CACHE_SECONDS = 10
# Every figure of a cell (counts, target): read from the model so a new figure is carried along.
STAT_FIELDS = tuple(
    f.attname
    for f in UnitStat._meta.concrete_fields
    if f.name not in ("id", "unit", "course_key", "audience_group", "computed_at")
)
# All the columns of a stats row, in the model's field order (the first one is the primary key).
CELL_FIELDS = tuple(f.attname for f in UnitStat._meta.concrete_fields)


def report_root(*, user: User) -> Unit | None:
    """The top unit whose reports this user may read (the nation for a superuser)."""
    return role_root_unit(user=user)


def report_unit(*, root: Unit, code: str) -> Unit | None:
    """A unit in the root's subtree, or None: a unit outside it is never loaded."""
    return scoped_to(Unit.objects.filter(code=code), root=root).first()


def report_courses() -> dict[int, str]:
    """Courses a report can be filtered by, id -> title (drafts have no learners)."""
    courses = Course.objects.filter(
        status__in=[CourseStatus.PUBLISHED, CourseStatus.ARCHIVED]
    ).order_by("title")
    return dict(courses.values_list("id", "title"))


@dataclass(frozen=True)
class ReportFilters:
    course_id: int | None = None  # None: all courses
    group: str = ""  # "": all audience groups
    sort: str = DEFAULT_SORT

    @property
    def course_key(self) -> int:
        return self.course_id or ALL_COURSES

    @property
    def group_key(self) -> str:
        return self.group or ALL_GROUPS

    def as_params(self) -> dict:
        """What an ExportJob stores to rebuild the same table later."""
        return {"course": self.course_id, "group": self.group, "sort": self.sort}

    def query(self, **changes) -> str:
        """The page's query string with some values changed, defaults left out."""
        values = {"course": self.course_id or "", "group": self.group, "sort": self.sort}
        values.update(changes)
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = ""
        kept = {key: value for key, value in values.items() if value not in ("", None)}
        return f"?{urlencode(kept)}" if kept else ""

    @property
    def sort_links(self) -> dict[str, str]:
        """Column header links: the best first on a first click, then the reverse."""
        links = {"name": self.query(sort="name")}
        for column in ("completed", "rate", "target_rate"):
            best_first = f"-{column}"
            links[column] = self.query(sort=column if self.sort == best_first else best_first)
        return links

    @property
    def sort_states(self) -> dict[str, str]:
        """The aria-sort value of each sortable column."""
        column = self.sort.lstrip("-")
        state = "descending" if self.sort.startswith("-") else "ascending"
        return {column: state}


@dataclass
class ReportRow:
    code: str
    name: str
    kind: str
    stat: UnitStat
    rank: int | None = None

    @property
    def kind_label(self) -> str:
        """Agency, enterprise or school; communes and wards say what they are in their name."""
        return UnitKind(self.kind).label if self.kind in ORGANISATION_KINDS else ""


@dataclass
class BreakdownRow:
    label: str
    stat: UnitStat


@dataclass
class TrendPoint:
    day: date
    completed: int
    cumulative: int


@dataclass
class ReportDisplay:
    """Display strings of the page's figures. Rows and cells are dicts: the template language
    finds a dict key at the first try, an attribute only after a failed subscript."""

    children: list[dict]
    total: dict
    by_course: list[dict]
    by_group: list[dict]


@dataclass
class UnitReport:
    """One page of a unit's report, for an official whose scope starts at `root`.

    The breadcrumb and the figures (summary, children, breakdowns, trend) are read on first
    use, after the statistics run that dates them: a page served from the cache never reads
    them, and figures read after their run are never older than it."""

    unit: Unit
    root: Unit
    filters: ReportFilters
    courses: dict[int, str]
    computed_at: datetime | None
    run_id: int | None = None
    checked_at: datetime | None = None
    today: date = field(default_factory=timezone.localdate)

    @property
    def fresh_at(self) -> datetime | None:
        """When the figures were last known current: the latest check, else their run."""
        return self.checked_at or self.computed_at

    @property
    def rank_metric(self) -> str:
        return _rank_metric(self.filters.sort)

    @cached_property
    def breadcrumb(self) -> list[Unit]:
        return report_breadcrumb(root=self.root, unit=self.unit)

    @cached_property
    def _cells(self) -> tuple[UnitStat, list[BreakdownRow], list[BreakdownRow]]:
        return unit_cells(unit=self.unit, filters=self.filters, courses=self.courses)

    @property
    def summary(self) -> UnitStat:
        return self._cells[0]

    @property
    def by_course(self) -> list[BreakdownRow]:
        return self._cells[1]

    @property
    def by_group(self) -> list[BreakdownRow]:
        return self._cells[2]

    @cached_property
    def children(self) -> list[ReportRow]:
        return children_rows(unit=self.unit, filters=self.filters)

    @cached_property
    def trend(self) -> list[TrendPoint]:
        return unit_trend(unit=self.unit, today=self.today)

    @cached_property
    def display(self) -> ReportDisplay:
        """The figures as the page shows them, in the active language."""
        return report_display(self)


def _stat(unit_id: int, values: dict | None = None) -> UnitStat:
    """A stats row, or zeros for a unit without one (nobody registered yet)."""
    return UnitStat(unit_id=unit_id, **(values or {}))


def report_breadcrumb(*, root: Unit, unit: Unit) -> list[Unit]:
    """The units from the official's root down to the unit's parent (never above the root)."""
    codes = unit.ancestor_codes()[:-1]
    root_code = root.code
    if root_code not in codes:
        return []
    wanted = codes[codes.index(root_code) :]
    return list(Unit.objects.filter(code__in=wanted).order_by("depth").only("code", "name"))


def _rank_metric(sort: str) -> str:
    metric = sort.lstrip("-")
    return "rate" if metric == "name" else metric


def _metric(row: ReportRow, metric: str) -> float | int | None:
    if metric == "rate":
        return row.stat.completion_rate
    if metric == "target_rate":
        return row.stat.target_rate
    return row.stat.completed


def rows_sort(rows: list[ReportRow], sort: str) -> list[ReportRow]:
    """Sort and rank (1 = best on the sort's measure, ties share a rank, no value no rank)."""
    rows = sorted(rows, key=lambda row: (text_fold(row.name), row.code))
    metric = _rank_metric(sort)
    ranked = sorted(
        (row for row in rows if _metric(row, metric) is not None),
        key=lambda row: _metric(row, metric),
        reverse=True,
    )
    previous, rank = None, 0
    for position, row in enumerate(ranked, start=1):
        value = _metric(row, metric)
        if value != previous:
            rank, previous = position, value
        row.rank = rank
    if sort == "name":
        return rows
    unranked = [row for row in rows if row.rank is None]
    if sort.startswith("-"):
        return ranked + unranked
    return sorted(ranked, key=lambda row: _metric(row, metric)) + unranked


def children_rows(*, unit: Unit, filters: ReportFilters) -> list[ReportRow]:
    """One row per child unit for the selected cell, in one query (zeros where no stats)."""
    children = (
        Unit.objects.filter(parent=unit)
        .annotate(
            cell=FilteredRelation(
                "stats",
                condition=Q(
                    stats__course_key=filters.course_key,
                    stats__audience_group=filters.group_key,
                ),
            )
        )
        .values_list("pk", "code", "name", "kind", *(f"cell__{f}" for f in CELL_FIELDS))
    )
    rows = []
    for pk, code, name, kind, *cell in children:
        # A stored cell is loaded from its columns (all of them, in field order) as the ORM
        # loads a row, without Model.__init__'s keyword path.
        stat = UnitStat.from_db(children.db, CELL_FIELDS, cell) if cell[0] is not None else None
        rows.append(ReportRow(code=code, name=name, kind=kind, stat=stat or _stat(pk)))
    return rows_sort(rows, filters.sort)


def unit_cells(
    *, unit: Unit, filters: ReportFilters, courses: dict[int, str]
) -> tuple[UnitStat, list[BreakdownRow], list[BreakdownRow]]:
    """The summary cell and both breakdowns of one unit, in one query."""
    stats = UnitStat.objects.filter(unit=unit).filter(
        Q(audience_group=filters.group_key) | Q(course_key=filters.course_key)
    )
    cells = {(s.course_key, s.audience_group): s for s in stats}
    summary = cells.get((filters.course_key, filters.group_key)) or _stat(unit.pk)
    by_course = [
        BreakdownRow(label=courses[key], stat=stat)
        for (key, group), stat in cells.items()
        if group == filters.group_key and key != ALL_COURSES and key in courses
    ]
    by_course.sort(key=lambda row: (-row.stat.enrolled, text_fold(row.label)))
    by_group = [
        BreakdownRow(
            label=str(label),
            stat=cells.get((filters.course_key, code)) or _stat(unit.pk),
        )
        for code, label in AudienceGroup.choices
    ]
    return summary, by_course, by_group


def unit_cell(*, unit: Unit, filters: ReportFilters) -> UnitStat:
    """The unit's own figures for the selected course and group (an export's total row)."""
    cell = UnitStat.objects.filter(
        unit=unit, course_key=filters.course_key, audience_group=filters.group_key
    ).first()
    return cell or _stat(unit.pk)


def unit_trend(*, unit: Unit, today: date | None = None) -> list[TrendPoint]:
    """Cumulative completions in the unit's subtree over the last TREND_DAYS days."""
    today = today or timezone.localdate()
    start = today - timedelta(days=TREND_DAYS - 1)
    daily = dict(
        DailyStat.objects.filter(unit=unit, day__gte=start, day__lte=today).values_list(
            "day", "completed"
        )
    )
    points, total = [], 0
    for offset in range(TREND_DAYS):
        day = start + timedelta(days=offset)
        total += daily.get(day, 0)
        points.append(TrendPoint(day=day, completed=daily.get(day, 0), cumulative=total))
    return points


def figures_run() -> tuple[int | None, datetime | None, datetime | None]:
    """The latest finished statistics run (id, finished_at, checked_at): the version of the
    page's cached rendering, and the age of every figure on it (the last check that found
    nothing to change, or the run itself)."""
    run = (
        StatsRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .values_list("pk", "finished_at", "checked_at")
        .first()
    )
    return run or (None, None, None)


@dataclass(frozen=True)
class ReportMeta:
    run_id: int | None
    computed_at: datetime | None
    courses: dict[int, str]
    checked_at: datetime | None = None


def report_meta() -> ReportMeta:
    """The latest finished run and the courses a report can be filtered by, from the cache when
    there; read in this order, so figures read afterwards are at least as new as the run. A
    cache that fails costs two queries, never the page."""
    try:
        meta = cache.get(META_CACHE_KEY)
    except Exception:
        logger.warning("report cache unavailable", exc_info=True)
        meta = None
    if isinstance(meta, ReportMeta):
        return meta
    run_id, computed_at, checked_at = figures_run()
    meta = ReportMeta(
        run_id=run_id, computed_at=computed_at, checked_at=checked_at, courses=report_courses()
    )
    try:
        cache.set(META_CACHE_KEY, meta, META_CACHE_SECONDS)
    except Exception:
        logger.warning("report cache unavailable", exc_info=True)
    return meta


def report_meta_forget(**kwargs) -> None:
    """A run or a course was saved or deleted, or a check confirmed the latest run: the next
    page reads both again. Forgotten at once, and again when the transaction commits, so a
    page that read the database in between cannot keep the old values."""

    def forget():
        try:
            cache.delete(META_CACHE_KEY)
        except Exception:
            logger.warning("report cache unavailable", exc_info=True)

    forget()
    transaction.on_commit(forget, using=kwargs.get("using"))


def filters_label(*, params: dict, courses: dict[int, str]) -> str:
    """ "Course · audience group" of a saved export, as the page's filters would say it."""
    course_id, group = params.get("course"), params.get("group") or ""
    course = courses.get(course_id, "—") if course_id else _("All courses")
    groups = dict(AudienceGroup.choices)
    return f"{course} · {groups.get(group, _('All audience groups'))}"


def export_waited(*, job: ExportJob, now: datetime | None = None) -> timedelta | None:
    """How long a job has waited for a worker to take it, once that is EXPORT_WAIT_NOTICE_S
    or more: the requester is told the server has not got to it yet, and for how long."""
    if job.status != ExportJob.Status.PENDING:
        return None
    waited = (now or timezone.now()) - job.created_at
    notice = timedelta(seconds=settings.EXPORT_WAIT_NOTICE_S)
    return waited if waited >= notice else None


def waited_text(waited: timedelta) -> str:
    """ "waited 3 minutes", in whole minutes up to two hours, then in hours."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 120:
        text = ngettext("waited %(count)d minute", "waited %(count)d minutes", minutes)
        return text % {"count": minutes}
    hours = minutes // 60
    return ngettext("waited %(count)d hour", "waited %(count)d hours", hours) % {"count": hours}


def recent_exports(*, user: User, unit: Unit, courses: dict[int, str]) -> list[ExportJob]:
    jobs = list(ExportJob.objects.filter(requester=user, unit=unit)[:RECENT_EXPORTS])
    for job in jobs:
        job.label = filters_label(params=job.params, courses=courses)
    return jobs


def unit_report(*, root: Unit, unit: Unit, filters: ReportFilters, meta: ReportMeta) -> UnitReport:
    """The report on `unit` as an official of `root` sees it, and nothing of that official:
    the report is shared (cached) between them. Its figures are read when first used, after
    `meta` named the run that dates them."""
    return UnitReport(
        unit=unit,
        root=root,
        filters=filters,
        courses=meta.courses,
        computed_at=meta.computed_at,
        run_id=meta.run_id,
        checked_at=meta.checked_at,
    )


def report_body_key(*, report: UnitReport) -> str | None:
    """The cache key of the page's rendered report, or None when no run has finished (figures
    written outside the engine, as in tests and fresh installs, are never cached).

    Everything the fragment depends on is in the key: the official's root (the breadcrumb
    starts there), the unit, the filters, the language, the day (the trend ends today) and the
    run. Officials of different scopes never share an entry. The run is named by its id and
    the microsecond it finished: databases sharing one cache (development, tests) have runs
    of the same id, never of the same id and instant."""
    if report.run_id is None or report.computed_at is None:
        return None
    filters = report.filters
    parts = (
        "reports:body",
        BODY_CACHE_VERSION,
        report.root.pk,
        report.unit.pk,
        filters.course_key,
        filters.group_key,
        filters.sort,
        get_language(),
        report.today.isoformat(),
        report.run_id,
        report.computed_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f"),
    )
    return ":".join(str(part) for part in parts)


# Display --------------------------------------------------------------------------------


def count_text(value: int | None, thousands: str) -> str:
    """A whole number grouped in thousands: 21500 -> "21.500" with thousands=".";
    what `django.utils.numberformat.format(..., grouping=3, force_grouping=True)` gives."""
    if value is None:
        return DASH
    return f"{value:,}".replace(",", thousands)


def percent_text(value: float | None, decimal: str) -> str:
    """A rate with one decimal: 75.9 -> "75,9%" with decimal=","; what `floatformat:1` gives
    for the rates of UnitStat, already rounded to one decimal."""
    if value is None:
        return DASH
    return f"{value:.1f}".replace(".", decimal) + "%"


def separators() -> tuple[str, str]:
    """The active language's thousands and decimal separators ("." and "," in Vietnamese)."""
    return get_format("THOUSAND_SEPARATOR"), get_format("DECIMAL_SEPARATOR")


def unit_url_parts() -> tuple[str, str]:
    """The report URL of a unit is prefix + code + suffix: reversed once, not once per row."""
    prefix, _placeholder, suffix = reverse("reports:unit", args=["0"]).rpartition("0")
    return prefix, suffix


def _cells_text(stat: UnitStat, thousands: str, decimal: str) -> dict[str, SafeString]:
    """A stats row's figures as the tables show them. Made of digits, the (escaped) separators,
    "%" and a dash, they are safe HTML: the template need not escape them again."""
    return {
        "learners": SafeString(count_text(stat.learners, thousands)),
        "enrolled": SafeString(count_text(stat.enrolled, thousands)),
        "started": SafeString(count_text(stat.started, thousands)),
        "completed": SafeString(count_text(stat.completed, thousands)),
        "rate": SafeString(percent_text(stat.completion_rate, decimal)),
        "certified": SafeString(count_text(stat.certified, thousands)),
        "target": SafeString(count_text(stat.target, thousands) if stat.target else DASH),
        "target_rate": SafeString(percent_text(stat.target_rate, decimal)),
    }


def report_display(report: UnitReport) -> ReportDisplay:
    """One pass over the figures: numbers formatted for the active language, links built from
    one reversed prefix, kind labels translated once per kind. Names stay plain text, escaped
    by the template."""
    thousands, decimal = (conditional_escape(separator) for separator in separators())
    prefix, suffix = unit_url_parts()
    query = report.filters.query()
    kinds: dict[str, str] = {}
    children = []
    for row in report.children:
        if row.kind not in kinds:
            kinds[row.kind] = str(row.kind_label)
        cells = _cells_text(row.stat, thousands, decimal)
        cells["rank"] = SafeString(DASH if row.rank is None else row.rank)
        cells["href"] = f"{prefix}{quote(row.code, safe='')}{suffix}{query}"
        cells["name"] = row.name
        cells["kind"] = kinds[row.kind]
        children.append(cells)

    def breakdown(rows: list[BreakdownRow]) -> list[dict]:
        return [
            {
                "label": row.label,
                "enrolled": SafeString(count_text(row.stat.enrolled, thousands)),
                "completed": SafeString(count_text(row.stat.completed, thousands)),
                "rate": SafeString(percent_text(row.stat.completion_rate, decimal)),
            }
            for row in rows
        ]

    return ReportDisplay(
        children=children,
        total=_cells_text(report.summary, thousands, decimal),
        by_course=breakdown(report.by_course),
        by_group=breakdown(report.by_group),
    )
