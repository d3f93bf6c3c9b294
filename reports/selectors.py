"""Reads for the officials' report pages and exports: precomputed tables only, in a fixed
number of queries whatever the number of child units or courses. Their display strings are
made in `formatting.py`, their caching is in `report_cache.py`."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from accounts.models import AudienceGroup, User
from accounts.selectors import role_root_unit, scoped_to
from courses.models import Course, CourseStatus
from courses.sanitize import text_fold
from units.models import ORGANISATION_KINDS, Unit, UnitKind

from .formatting import ReportDisplay, filters_label, report_display
from .models import ALL_COURSES, ALL_GROUPS, DailyStat, ExportJob, StatsRun, UnitStat

# The child table's orders; "-" puts the best first. Only ever set by the column links.
SORTS = ("-rate", "rate", "name", "-completed", "completed", "-target_rate", "target_rate")
DEFAULT_SORT = "-rate"
TREND_DAYS = 90
RECENT_EXPORTS = 5
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


def export_waited(*, job: ExportJob, now: datetime | None = None) -> timedelta | None:
    """How long a job has waited for a worker to take it, once that is EXPORT_WAIT_NOTICE_S
    or more: the requester is told the server has not got to it yet, and for how long."""
    if job.status != ExportJob.Status.PENDING:
        return None
    waited = (now or timezone.now()) - job.created_at
    notice = timedelta(seconds=settings.EXPORT_WAIT_NOTICE_S)
    return waited if waited >= notice else None


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
