"""Report helpers for templates: the server-rendered trend chart and the nav's scope check."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.numberformat import format as number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role
from accounts.selectors import user_roles
from reports.formatting import count_text

register = template.Library()

# The SVG is stretched to its box (preserveAspectRatio="none"); labels are HTML beside it,
# so they stay readable at 360 px instead of shrinking with the drawing.
CHART_WIDTH = 600
CHART_HEIGHT = 200


@register.simple_tag(takes_context=True)
def reports_allowed(context) -> bool:
    """Whether the menu offers the reports: the report views' own scope when they ran, else the
    user's roles from the cache (the views check the scope in the database)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return False
    if request is not None and hasattr(request, "report_root"):
        return request.report_root is not None
    return user.is_superuser or Role.OFFICIAL in user_roles(user=user)


@register.filter
def count(value) -> str:
    """A whole number grouped in thousands in the active language ("21.500" in Vietnamese),
    which `intcomma` does not do for Vietnamese."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return count_text(value, get_format("THOUSAND_SEPARATOR"))
    return number_format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


@register.filter
def percent(value) -> str:
    """A rate as "12,5%" in the active language, or a dash where there is none."""
    if value is None:
        return "—"
    return f"{floatformat(value, 1)}%"


def nice_ceiling(value: int) -> int:
    """The smallest of 2, 4, 6, 8, 10 × 10ⁿ at or above value: round, halvable axis labels."""
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (2, 4, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _day(day) -> str:
    """The day as `date_format(day, "d/m/Y")` writes it, without parsing a format per point."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


@register.inclusion_tag("reports/_trend_chart.html")
def trend_chart(points) -> dict:
    """A cumulative line of `TrendPoint`s, with a visually hidden table of the same data."""
    if not points:
        return {"points": []}
    total = points[-1].cumulative
    top = nice_ceiling(max(total, 1))
    step = CHART_WIDTH / max(len(points) - 1, 1)
    coordinates = [
        (round(index * step, 1), round(CHART_HEIGHT - point.cumulative * CHART_HEIGHT / top, 1))
        for index, point in enumerate(points)
    ]
    line = "M" + " L".join(f"{x},{y}" for x, y in coordinates)
    area = f"{line} L{CHART_WIDTH},{CHART_HEIGHT} L0,{CHART_HEIGHT} Z"
    start, end = points[0].day, points[-1].day
    # The hidden table's cells, formatted in one pass: digits, "/" and the (escaped) separator
    # are safe HTML, so the template does not escape them one by one.
    thousands = conditional_escape(get_format("THOUSAND_SEPARATOR"))
    days = [
        {
            "day": SafeString(_day(point.day)),
            "completed": SafeString(count_text(point.completed, thousands)),
            "cumulative": SafeString(count_text(point.cumulative, thousands)),
        }
        for point in points
        if point.completed
    ]
    description = ngettext(
        "%(total)s completion from %(start)s to %(end)s.",
        "%(total)s completions from %(start)s to %(end)s.",
        total,
    ) % {"total": count(total), "start": _day(start), "end": _day(end)}
    return {
        "points": points,
        "days": days,
        "line": line,
        "area": area,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "middle_y": CHART_HEIGHT / 2,
        "top": top,
        "half": top // 2,
        "total": total,
        "start": start,
        "middle": points[len(points) // 2].day,
        "end": end,
        "title": _("Cumulative course completions, last %(days)s days") % {"days": len(points)},
        "description": description,
    }
