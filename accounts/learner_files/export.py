"""The CSV export of learners, streamed, with every cell safe to open in a spreadsheet."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from ..models import User

# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXPORT_HEADINGS = [
    gettext_lazy("Full name"),
    gettext_lazy("Email"),
    gettext_lazy("Phone"),
    gettext_lazy("Audience group"),
    gettext_lazy("Unit code"),
    gettext_lazy("Unit"),
    gettext_lazy("Workplace code"),
    gettext_lazy("Workplace"),
    gettext_lazy("Date joined"),
]


def cell_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def learner_export_lines(*, queryset: QuerySet[User]) -> Iterator[str]:
    """CSV lines (UTF-8 BOM first, so Excel reads Vietnamese) for a streaming response."""
    # The response is iterated after the view returns: keep the requester's language.
    return _export_lines(queryset=queryset, language=translation.get_language())


def _person_cells(person: User) -> list[str]:
    home, workplace = person.home_unit, person.workplace_unit
    return [
        person.full_name,
        person.email,
        person.phone,
        str(person.get_audience_group_display()) if person.audience_group else "",
        home.code if home else "",
        home.name if home else "",
        workplace.code if workplace else "",
        workplace.name if workplace else "",
        timezone.localtime(person.date_joined).strftime("%Y-%m-%d %H:%M"),
    ]


def _export_lines(*, queryset: QuerySet[User], language: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    people = (
        queryset.select_related("home_unit", "workplace_unit")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    with translation.override(language):
        yield "\ufeff"
        yield writer.writerow([str(heading) for heading in EXPORT_HEADINGS])
        for person in people:
            yield writer.writerow([cell_safe(value) for value in _person_cells(person)])
