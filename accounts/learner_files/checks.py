"""Every row of a learner table checked against its columns' rules, reading the database once.

All unit codes of the file are looked up in one query and all emails in another (split into
chunks); then each column's check looks at one row's values and those lookups, and says what the
cell holds once cleaned, or what is wrong with it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from units.models import COMMUNE_KINDS, ORGANISATION_KINDS, Unit
from units.selectors import unit_is_within

from ..models import Role, User
from ..phone import phone_normalise
from ..selectors import role_root_unit
from .columns import (
    AUDIENCE_ALIASES,
    AUDIENCE_BY_ALIAS,
    columns_match,
    heading_fold,
    text_shorten,
)
from .reading import Table

# Large IN lists are split so SQLite's bound-parameter limit is never reached.
QUERY_CHUNK = 10_000
FULL_NAME_MAX = User._meta.get_field("full_name").max_length
EMAIL_MAX = User._meta.get_field("email").max_length

Values = dict[str, str]  # column key -> the cell as read


# Reports ------------------------------------------------------------------------------------
@dataclass
class RowError:
    row: int  # as the spreadsheet program numbers it: the header is usually row 1
    column: str  # the heading as written in the file
    value: str
    message: str

    def __post_init__(self):
        self.column = text_shorten(self.column)
        self.value = text_shorten(self.value)


@dataclass
class LearnerRow:
    row: int
    full_name: str
    email: str
    phone: str
    audience_group: str
    home_unit: Unit
    workplace_unit: Unit | None


@dataclass
class ImportReport:
    rows: int = 0
    learners: list[LearnerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # file-level problems: nothing was checked
    created: int = 0
    dry_run: bool = True
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.refused and not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


# Lookups ------------------------------------------------------------------------------------
def import_scope(importer: User | None) -> Unit | None:
    """The unit every row must fall under; None means the whole country."""
    if importer is None or importer.is_superuser:
        return None
    root = role_root_unit(user=importer, role=Role.CONTENT_ADMIN)
    if root is None or not importer.is_active:
        raise PermissionDenied(_("Only content administrators can import learners."))
    return root


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def _code_candidates(code: str) -> list[str]:
    # Spreadsheets drop the leading zeros of numeric codes: "4" was commune "00004".
    if code.isdigit() and len(code) < 5:
        return [code, code.zfill(5)]
    return [code]


def _units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    wanted = sorted({candidate for code in codes for candidate in _code_candidates(code)})
    found: dict[str, Unit] = {}
    for chunk in _chunks(wanted):
        for unit in Unit.objects.filter(code__in=chunk).only("id", "code", "name", "kind", "path"):
            found[unit.code] = unit
    return found


def _emails_taken(emails: Iterable[str]) -> set[str]:
    """Emails already used by an account, as a login or as an extra address."""
    wanted = sorted(set(emails))
    taken: set[str] = set()
    for chunk in _chunks(wanted):
        taken.update(
            e.lower() for e in User.objects.filter(email__in=chunk).values_list("email", flat=True)
        )
        taken.update(
            e.lower()
            for e in EmailAddress.objects.filter(email__in=chunk).values_list("email", flat=True)
        )
    return taken


@dataclass(frozen=True)
class Lookups:
    """What the checks compare a row with, read once for the whole file."""

    units: dict[str, Unit]
    emails_taken: set[str]
    scope: Unit | None  # None: the whole country

    def unit(self, code: str) -> Unit | None:
        return next((self.units[c] for c in _code_candidates(code) if c in self.units), None)

    def outside_scope(self, unit: Unit) -> bool:
        return self.scope is not None and not unit_is_within(unit=unit, root=self.scope)


def lookups_read(*, rows: list[Values], scope: Unit | None) -> Lookups:
    codes = (
        code
        for values in rows
        for code in (values.get("unit_code", ""), values.get("workplace_unit_code", ""))
        if code
    )
    units = _units_by_code(codes)
    taken = _emails_taken(values["email"].lower() for values in rows if values["email"])
    return Lookups(units, taken, scope)


# One check per column -----------------------------------------------------------------------
class Checked(NamedTuple):
    """One cell checked: its clean value (None when unusable) and what is wrong, if anything."""

    value: Any = None
    error: str = ""


def full_name_check(values: Values, lookups: Lookups) -> Checked:
    full_name = values["full_name"]
    if not full_name:
        return Checked(error=_("Enter the learner's full name."))
    if len(full_name) > FULL_NAME_MAX:
        return Checked(
            error=_("The full name is longer than %(max)d characters.") % {"max": FULL_NAME_MAX}
        )
    return Checked(full_name)


def _email_valid(email: str) -> bool:
    if len(email) > EMAIL_MAX:
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def email_check(values: Values, lookups: Lookups) -> Checked:
    """A taken address keeps its value: the file may still repeat it."""
    email = values["email"].lower()
    if not email:
        return Checked(error=_("Enter an email address."))
    if not _email_valid(email):
        return Checked(error=_("This is not a valid email address."))
    if email in lookups.emails_taken:
        return Checked(email, _("An account with this email already exists."))
    return Checked(email)


def phone_check(values: Values, lookups: Lookups) -> Checked:
    raw = values.get("phone", "")
    if not raw:
        return Checked("")
    # A phone typed into a number cell loses its leading zero: 912345678 was 0912345678.
    if raw.isdigit() and len(raw) == 9:
        raw = "0" + raw
    try:
        return Checked(phone_normalise(raw))
    except ValidationError as invalid:
        return Checked(error=" ".join(invalid.messages))


def audience_group_check(values: Values, lookups: Lookups) -> Checked:
    typed = values["audience_group"]
    if not typed:
        return Checked(error=_("Enter the audience group."))
    group = AUDIENCE_BY_ALIAS.get(heading_fold(typed))
    if group is None:
        return Checked(
            error=_(
                "Unknown audience group. Use one of: %(groups)s "
                "(or the codes citizen, official, worker, student)."
            )
            % {"groups": "; ".join(aliases[1] for aliases in AUDIENCE_ALIASES.values())}
        )
    return Checked(group)


@dataclass(frozen=True)
class UnitRule:
    """What a unit column accepts, and what it says of a unit it does not."""

    kinds: frozenset[str]
    wrong_kind: Promise  # formatted with the unit's name
    outside: Promise


HOME_UNIT = UnitRule(
    frozenset(COMMUNE_KINDS),
    gettext_lazy("“%(name)s” is not a commune, ward or special zone."),
    gettext_lazy("This unit is outside your unit."),
)
WORKPLACE_UNIT = UnitRule(
    frozenset(ORGANISATION_KINDS),
    gettext_lazy("“%(name)s” is not an agency, enterprise or school."),
    gettext_lazy("This workplace is outside your unit."),
)


def _unit_check(code: str, lookups: Lookups, rule: UnitRule) -> Checked:
    unit = lookups.unit(code)
    if unit is None:
        return Checked(error=_("No unit has this code."))
    if unit.kind not in rule.kinds:
        return Checked(error=str(rule.wrong_kind) % {"name": unit.name})
    if lookups.outside_scope(unit):
        return Checked(error=str(rule.outside))
    return Checked(unit)


def home_unit_check(values: Values, lookups: Lookups) -> Checked:
    code = values["unit_code"]
    if not code:
        return Checked(error=_("Enter the code of the learner's commune, ward or special zone."))
    return _unit_check(code, lookups, HOME_UNIT)


def _same_province(unit: Unit, other: Unit) -> bool:
    return unit.ancestor_codes()[:2] == other.ancestor_codes()[:2]


def workplace_unit_check(values: Values, lookups: Lookups) -> Checked:
    code = values.get("workplace_unit_code", "")
    if not code:
        return Checked()
    checked = _unit_check(code, lookups, WORKPLACE_UNIT)
    if checked.error:
        return checked
    home = home_unit_check(values, lookups).value
    if home is not None and not _same_province(checked.value, home):
        return Checked(error=_("This workplace is not in the same province as the learner's unit."))
    return checked


# In column order: a row's errors are listed so.
COLUMN_CHECKS: dict[str, Callable[[Values, Lookups], Checked]] = {
    "full_name": full_name_check,
    "email": email_check,
    "phone": phone_check,
    "audience_group": audience_group_check,
    "unit_code": home_unit_check,
    "workplace_unit_code": workplace_unit_check,
}


# The whole table ----------------------------------------------------------------------------
def _row_values(cells: list[str], positions: dict[str, int]) -> Values:
    return {
        key: cells[position] if position < len(cells) else "" for key, position in positions.items()
    }


def _learner_row(number: int, checked: dict[str, Checked]) -> LearnerRow:
    return LearnerRow(
        row=number,
        full_name=checked["full_name"].value,
        email=checked["email"].value,
        phone=checked["phone"].value,
        audience_group=checked["audience_group"].value,
        home_unit=checked["unit_code"].value,
        workplace_unit=checked["workplace_unit_code"].value,
    )


def _repeated_email_errors(rows_by_email: dict[str, list[int]], heading: str) -> list[RowError]:
    errors = []
    for email, numbers in rows_by_email.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(str(n) for n in numbers)
        message = _("This email appears more than once in the file: rows %(rows)s.") % {
            "rows": listed
        }
        errors.extend(RowError(number, heading, email, message) for number in numbers)
    return errors


def rows_check(*, table: Table, importer: User | None) -> ImportReport:
    """Every row's errors, or the learners ready to create. Reads only."""
    positions = columns_match(table.headings)
    scope = import_scope(importer)
    headings = {key: table.headings[position] for key, position in positions.items()}
    records = [(number, _row_values(cells, positions)) for number, cells in table.rows]
    lookups = lookups_read(rows=[values for _number, values in records], scope=scope)
    report = ImportReport(rows=len(table.rows))
    rows_by_email: dict[str, list[int]] = defaultdict(list)
    for number, values in records:
        checked = {key: check(values, lookups) for key, check in COLUMN_CHECKS.items()}
        if checked["email"].value:
            rows_by_email[checked["email"].value].append(number)
        errors = [
            RowError(number, headings.get(key, key), values.get(key, ""), outcome.error)
            for key, outcome in checked.items()
            if outcome.error
        ]
        if errors:
            report.errors.extend(errors)
        else:
            report.learners.append(_learner_row(number, checked))
    report.errors.extend(_repeated_email_errors(rows_by_email, headings["email"]))
    if report.errors:
        report.errors.sort(key=lambda e: e.row)  # stable: a row's errors stay in column order
        failed = {e.row for e in report.errors}
        report.learners = [r for r in report.learners if r.row not in failed]
    return report
