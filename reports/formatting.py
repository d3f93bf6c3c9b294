"""The report pages' figures and labels as display strings, in the active language.

The page's figures are turned into strings here, in one pass in Python (numbers grouped in the
active language, links built from one reversed prefix): formatting each cell in the template (a
filter, a `{% url %}` and attribute lookups per cell) cost ten times the queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.urls import reverse
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import AudienceGroup

from .models import UnitStat

if TYPE_CHECKING:
    from .selectors import BreakdownRow, UnitReport

DASH = "—"


@dataclass
class ReportDisplay:
    """Display strings of the page's figures. Rows and cells are dicts: the template language
    finds a dict key at the first try, an attribute only after a failed subscript."""

    children: list[dict]
    total: list[SafeString]  # the figures of the unit's own row, in the columns' order
    by_course: list[dict]
    by_group: list[dict]


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


def filters_label(*, params: dict, courses: dict[int, str]) -> str:
    """ "Course · audience group" of a saved export, as the page's filters would say it."""
    course_id, group = params.get("course"), params.get("group") or ""
    course = courses.get(course_id, "—") if course_id else _("All courses")
    groups = dict(AudienceGroup.choices)
    return f"{course} · {groups.get(group, _('All audience groups'))}"


def waited_text(waited: timedelta) -> str:
    """ "waited 3 minutes", in whole minutes up to two hours, then in hours."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 120:
        text = ngettext("waited %(count)d minute", "waited %(count)d minutes", minutes)
        return text % {"count": minutes}
    hours = minutes // 60
    return ngettext("waited %(count)d hour", "waited %(count)d hours", hours) % {"count": hours}


def _figures_text(stat: UnitStat, thousands: str, decimal: str) -> list[SafeString]:
    """A stats row's figures in the order of the tables' columns: registered learners,
    enrolled, started, completed, completion rate, certified, target, rate against target.
    Made of digits, the (escaped) separators, "%" and a dash, they are safe HTML: the template
    need not escape them again."""
    return [
        SafeString(count_text(stat.learners, thousands)),
        SafeString(count_text(stat.enrolled, thousands)),
        SafeString(count_text(stat.started, thousands)),
        SafeString(count_text(stat.completed, thousands)),
        SafeString(percent_text(stat.completion_rate, decimal)),
        SafeString(count_text(stat.certified, thousands)),
        SafeString(count_text(stat.target, thousands) if stat.target else DASH),
        SafeString(percent_text(stat.target_rate, decimal)),
    ]


def _breakdown_text(rows: list[BreakdownRow], thousands: str, decimal: str) -> list[dict]:
    return [
        {
            "label": row.label,
            "enrolled": SafeString(count_text(row.stat.enrolled, thousands)),
            "completed": SafeString(count_text(row.stat.completed, thousands)),
            "rate": SafeString(percent_text(row.stat.completion_rate, decimal)),
        }
        for row in rows
    ]


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
        children.append(
            {
                "rank": SafeString(DASH if row.rank is None else row.rank),
                "href": f"{prefix}{quote(row.code, safe='')}{suffix}{query}",
                "name": row.name,
                "kind": kinds[row.kind],
                "figures": _figures_text(row.stat, thousands, decimal),
            }
        )
    return ReportDisplay(
        children=children,
        total=_figures_text(report.summary, thousands, decimal),
        by_course=_breakdown_text(report.by_course, thousands, decimal),
        by_group=_breakdown_text(report.by_group, thousands, decimal),
    )
