"""Learner files: bulk import from CSV or XLSX, and the CSV export of the same people.

An import reads the whole file, checks every row with a handful of queries (all unit codes in
one, all existing emails in one), and writes only when no row has an error: one transaction,
bulk inserts, invitations enqueued after commit. A dry run is the same check without the write.
"""

import codecs
import csv
import io
import itertools
import logging
import re
import secrets
import time
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditAction
from audit.services import audit_record
from units.models import COMMUNE_KINDS, ORGANISATION_KINDS, Unit
from units.selectors import unit_is_within

from . import spreadsheet
from .models import AudienceGroup, Role, UnitRole, User
from .phone import phone_normalise
from .selectors import role_root_unit
from .spreadsheet import ImportRefused

logger = logging.getLogger(__name__)

MAX_ROWS = 50_000
MAX_FILE_BYTES = 25 * 1024 * 1024
# Large IN lists are split so SQLite's bound-parameter limit is never reached.
QUERY_CHUNK = 10_000
FULL_NAME_MAX = User._meta.get_field("full_name").max_length
EMAIL_MAX = User._meta.get_field("email").max_length
# A value or heading quoted back in a report is cut here: a cell may hold 1,000 characters.
SHOWN_CHARS = 100
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Whitespace, NULs and BOM bytes only; a match copies nothing, unlike bytes.strip() on a zip.
BLANK_FILE = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf\xff\xfe]*")


def text_shorten(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def text_fold(text: str) -> str:
    """'Mã đơn vị' -> 'ma don vi', 'full_name' -> 'full name': headers and labels compared so."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # the Vietnamese heading of the template file; data, not translated
    required: bool
    aliases: frozenset[str]

    @property
    def expected(self) -> str:
        return f"{self.heading} ({self.key})"


def _column(key: str, heading: str, required: bool, *aliases: str) -> Column:
    folded = {text_fold(key), text_fold(heading), *(text_fold(a) for a in aliases)}
    return Column(key, heading, required, frozenset(folded))


COLUMNS = [
    _column("full_name", "Họ và tên", True, "Họ tên", "Full name", "Name"),
    _column("email", "Email", True, "E-mail", "Địa chỉ email", "Email address"),
    _column("phone", "Số điện thoại", False, "Điện thoại", "SĐT", "Phone number", "Mobile"),
    _column("audience_group", "Đối tượng", True, "Audience group", "Audience"),
    _column("unit_code", "Mã đơn vị", True, "Mã xã", "Mã xã/phường", "Unit code"),
    _column(
        "workplace_unit_code",
        "Mã nơi làm việc",
        False,
        "Workplace unit code",
        "Workplace code",
        "Mã cơ quan",
    ),
]
COLUMN_BY_ALIAS = {alias: column for column in COLUMNS for alias in column.aliases}

# Codes, the framework's Vietnamese names, and a few short forms people type.
AUDIENCE_ALIASES = {
    AudienceGroup.CITIZEN: ["citizen", "Người dân", "Citizens", "Dân"],
    AudienceGroup.OFFICIAL: [
        "official",
        "Cán bộ, công chức, viên chức",
        "Officials and public employees",
        "Cán bộ",
        "Công chức",
        "Viên chức",
    ],
    AudienceGroup.WORKER: [
        "worker",
        "Người lao động trong doanh nghiệp",
        "Enterprise workers",
        "Người lao động",
    ],
    AudienceGroup.STUDENT: [
        "student",
        "Học sinh, sinh viên",
        "Pupils and students",
        "Học sinh",
        "Sinh viên",
    ],
}
AUDIENCE_BY_ALIAS = {
    text_fold(alias): group for group, aliases in AUDIENCE_ALIASES.items() for alias in aliases
}


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


# Reading the file ----------------------------------------------------------------------------
@dataclass
class Table:
    header_row: int
    headings: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells), blank rows left out


def _text_decode(content: bytes) -> str:
    """BOM first, then strict UTF-8, then Windows-1258. Tone marks are composed (NFC) cell by
    cell in table_read: composing the whole text at once takes four times its size."""
    if content.startswith(codecs.BOM_UTF8):
        candidates, content = ["utf-8"], content[len(codecs.BOM_UTF8) :]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        guessed = _utf16_without_bom(content[:4096])
        candidates = [guessed] if guessed else ["utf-8", "cp1258"]
    for candidate in candidates:
        try:
            text = content.decode(candidate)
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
            return text
    raise ImportRefused(
        _(
            "The file's character encoding could not be recognised. Save it as "
            "“CSV UTF-8” or as an Excel workbook (.xlsx) and upload it again."
        )
    )


def _utf16_without_bom(head: bytes) -> str | None:
    """Text saved as UTF-16 without a BOM has a zero byte in every other position."""
    if b"\x00" not in head or len(head) < 4:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each line, its line break included; nothing is copied."""
    start = 0
    for found in LINE_BREAK.finditer(text):
        yield start, found.end()
        start = found.end()
    if start < len(text):
        yield start, len(text)


class _CsvLines:
    """The lines csv.reader splits into cells. A row longer than any acceptable one is refused
    before it is split: a line of a million commas would become a million cells."""

    def __init__(self, text: str, delimiter: str):
        self.text, self.delimiter = text, delimiter
        self.row = 1
        self.row_start: int | None = None

    def __iter__(self) -> Iterator[str]:
        for start, end in _line_spans(self.text):
            if self.row_start is None:
                self.row_start = start
            if end - self.row_start > spreadsheet.MAX_RECORD_CHARS:
                raise self._refusal()
            yield self.text[start:end]

    def row_done(self) -> None:
        self.row += 1
        self.row_start = None

    def _refusal(self) -> ImportRefused:
        end = self.row_start + spreadsheet.MAX_RECORD_CHARS
        if self.text.count(self.delimiter, self.row_start, end) >= spreadsheet.MAX_COLUMNS:
            return spreadsheet.too_many_columns(self.row)
        return spreadsheet.cell_too_long()


def _first_line(text: str) -> str:
    """The first line that is not blank, cut to the longest acceptable row."""
    for start, end in itertools.islice(_line_spans(text), spreadsheet.MAX_ROWS):
        line = text[start : min(end, start + spreadsheet.MAX_RECORD_CHARS)]
        if line.strip():
            return line
    return ""


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    text = _text_decode(content)
    first_line = _first_line(text)
    # Excel's "Unicode text" is tab-separated and some locales save with semicolons.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    lines = _CsvLines(text, delimiter)
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            spreadsheet.row_check(cells, number)
            lines.row_done()
            yield cells
    except csv.Error as error:
        raise ImportRefused(
            _("The CSV file could not be read. Save it again as CSV UTF-8 and upload it again.")
        ) from error


def table_read(*, content: bytes) -> Table:
    """Header and data rows of a CSV or XLSX file; stops as soon as there are too many rows."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(
            _("The file is larger than %(size)d MB. Split it into smaller files.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if BLANK_FILE.fullmatch(content):
        raise ImportRefused(_("The file is empty."))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _("Old Excel files (.xls) are not supported. Save the file as .xlsx or as CSV UTF-8.")
        )
    is_workbook = content.startswith(b"PK\x03\x04") and zipfile.is_zipfile(io.BytesIO(content))
    source = spreadsheet.xlsx_rows(content) if is_workbook else _csv_rows(content)
    tidied: dict[str, str] = {}

    def tidy(cell: str) -> str:
        clean = " ".join(unicodedata.normalize("NFC", cell).split())
        if clean == cell:
            return cell
        # Workbook cells with the same text share one string: so must their tidied copies.
        return tidied.setdefault(cell, clean) if is_workbook else clean

    header_row, headings, rows = 0, [], []
    for number, raw in enumerate(source, start=1):
        cells = [tidy(cell) for cell in raw]
        if not any(cells):
            continue
        if not headings:
            header_row, headings = number, cells
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(
                _(
                    "The file has more than %(max)s learner rows. "
                    "Split it into files of at most %(max)s rows."
                )
                % {"max": f"{MAX_ROWS:,}"}
            )
        rows.append((number, cells))
    if not headings:
        raise ImportRefused(_("The file is empty."))
    if not rows:
        raise ImportRefused(_("The file has a header row but no learners."))
    return Table(header_row, headings, rows)


def columns_match(headings: list[str]) -> dict[str, int]:
    """Column key -> position; unknown, repeated or missing headings refuse the file."""
    positions: dict[str, int] = {}
    problems: list[str] = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        column = COLUMN_BY_ALIAS.get(text_fold(heading))
        if column is None:
            problems.append(_("Unknown column “%(heading)s”.") % {"heading": text_shorten(heading)})
        elif column.key in positions:
            problems.append(
                _("The column “%(heading)s” appears more than once.")
                % {"heading": text_shorten(heading)}
            )
        else:
            positions[column.key] = position
    missing = [
        column.heading for column in COLUMNS if column.required and column.key not in positions
    ]
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if problems:
        expected = "; ".join(
            column.expected + ("" if column.required else " – " + _("optional"))
            for column in COLUMNS
        )
        problems.append(
            _("Expected columns (Vietnamese or English headings): %(columns)s.")
            % {"columns": expected}
        )
        raise ImportRefused(*problems)
    return positions


# Checking -------------------------------------------------------------------------------------
def learner_import_allowed(*, user: User) -> bool:
    """Superusers and content administrators may import learners into their unit's subtree."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or UnitRole.objects.filter(user=user, role=Role.CONTENT_ADMIN).exists()


def _scope_root(importer: User | None) -> Unit | None:
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


def _same_province(unit: Unit, other: Unit) -> bool:
    return unit.ancestor_codes()[:2] == other.ancestor_codes()[:2]


def _phone_clean(raw: str) -> str:
    # A phone typed into a number cell loses its leading zero: 912345678 was 0912345678.
    if raw.isdigit() and len(raw) == 9:
        raw = "0" + raw
    return phone_normalise(raw)


def rows_check(*, table: Table, importer: User | None) -> ImportReport:
    """Every row's errors, or the learners ready to create. Reads only."""
    positions = columns_match(table.headings)
    scope = _scope_root(importer)
    report = ImportReport(rows=len(table.rows))

    def cell(cells: list[str], key: str) -> str:
        position = positions.get(key)
        return cells[position] if position is not None and position < len(cells) else ""

    headings = {key: table.headings[position] for key, position in positions.items()}
    records = [
        (number, {key: cell(cells, key) for key in positions}) for number, cells in table.rows
    ]
    units = _units_by_code(
        code
        for _number, values in records
        for code in (values.get("unit_code", ""), values.get("workplace_unit_code", ""))
        if code
    )
    emails = [values["email"].lower() for _number, values in records if values["email"]]
    taken = _emails_taken(emails)

    def unit_lookup(code: str) -> Unit | None:
        return next((units[c] for c in _code_candidates(code) if c in units), None)

    rows_by_email: dict[str, list[int]] = defaultdict(list)
    for number, values in records:
        errors: list[RowError] = []

        def error(key: str, message: str, *, _number=number, _values=values, _errors=errors):
            _errors.append(RowError(_number, headings.get(key, key), _values.get(key, ""), message))

        full_name = values["full_name"]
        if not full_name:
            error("full_name", _("Enter the learner's full name."))
        elif len(full_name) > FULL_NAME_MAX:
            error(
                "full_name",
                _("The full name is longer than %(max)d characters.") % {"max": FULL_NAME_MAX},
            )

        email = values["email"].lower()
        if not email:
            error("email", _("Enter an email address."))
        else:
            try:
                if len(email) > EMAIL_MAX:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError:
                error("email", _("This is not a valid email address."))
            else:
                rows_by_email[email].append(number)
                if email in taken:
                    error("email", _("An account with this email already exists."))

        phone = ""
        if values.get("phone"):
            try:
                phone = _phone_clean(values["phone"])
            except ValidationError as invalid:
                error("phone", " ".join(invalid.messages))

        audience_group = ""
        if not values["audience_group"]:
            error("audience_group", _("Enter the audience group."))
        else:
            audience_group = AUDIENCE_BY_ALIAS.get(text_fold(values["audience_group"]), "")
            if not audience_group:
                error(
                    "audience_group",
                    _(
                        "Unknown audience group. Use one of: %(groups)s "
                        "(or the codes citizen, official, worker, student)."
                    )
                    % {"groups": "; ".join(aliases[1] for aliases in AUDIENCE_ALIASES.values())},
                )

        home_unit = None
        code = values["unit_code"]
        if not code:
            error("unit_code", _("Enter the code of the learner's commune, ward or special zone."))
        else:
            home_unit = unit_lookup(code)
            if home_unit is None:
                error("unit_code", _("No unit has this code."))
            elif home_unit.kind not in COMMUNE_KINDS:
                error(
                    "unit_code",
                    _("“%(name)s” is not a commune, ward or special zone.")
                    % {"name": home_unit.name},
                )
                home_unit = None
            elif scope is not None and not unit_is_within(unit=home_unit, root=scope):
                error("unit_code", _("This unit is outside your unit."))
                home_unit = None

        workplace_unit = None
        code = values.get("workplace_unit_code", "")
        if code:
            workplace_unit = unit_lookup(code)
            if workplace_unit is None:
                error("workplace_unit_code", _("No unit has this code."))
            elif workplace_unit.kind not in ORGANISATION_KINDS:
                error(
                    "workplace_unit_code",
                    _("“%(name)s” is not an agency, enterprise or school.")
                    % {"name": workplace_unit.name},
                )
            elif scope is not None and not unit_is_within(unit=workplace_unit, root=scope):
                error("workplace_unit_code", _("This workplace is outside your unit."))
            elif home_unit is not None and not _same_province(workplace_unit, home_unit):
                error(
                    "workplace_unit_code",
                    _("This workplace is not in the same province as the learner's unit."),
                )

        if errors:
            report.errors.extend(errors)
        else:
            report.learners.append(
                LearnerRow(
                    number, full_name, email, phone, audience_group, home_unit, workplace_unit
                )
            )

    for email, numbers in rows_by_email.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(str(n) for n in numbers)
        for number in numbers:
            report.errors.append(
                RowError(
                    number,
                    headings["email"],
                    email,
                    _("This email appears more than once in the file: rows %(rows)s.")
                    % {"rows": listed},
                )
            )
    if report.errors:
        report.errors.sort(key=lambda e: e.row)  # stable: a row's errors stay in column order
        failed = {e.row for e in report.errors}
        report.learners = [r for r in report.learners if r.row not in failed]
    return report


# Writing --------------------------------------------------------------------------------------
def _learners_create(rows: list[LearnerRow]) -> list[int]:
    users = []
    for row in rows:
        user = User(
            email=row.email,
            full_name=row.full_name,
            audience_group=row.audience_group,
            home_unit=row.home_unit,
            workplace_unit=row.workplace_unit,
            phone=row.phone,
            is_active=True,
        )
        # Unusable until the learner chooses one from the invitation link; the same value
        # set_unusable_password() makes, without its per-character random draws (10,000 rows).
        user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        users.append(user)
    User.objects.bulk_create(users, batch_size=2000)
    if any(user.pk is None for user in users):  # databases that cannot return bulk-insert ids
        ids = dict(
            User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk")
        )
        for user in users:
            user.pk = ids[user.email]
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.pk, email=u.email, verified=False, primary=True) for u in users],
        batch_size=2000,
    )
    return [user.pk for user in users]


def learner_import(*, content: bytes, importer: User | None, dry_run: bool = True) -> ImportReport:
    """Check a learner file and, unless it is a dry run, create every learner or none.

    `importer` is the administrator whose unit bounds the rows; None (the management command
    run by an operator) means the whole country.
    """
    from .services import invitations_schedule

    started = time.monotonic()
    if importer is not None and not learner_import_allowed(user=importer):
        raise PermissionDenied(_("Only content administrators can import learners."))
    try:
        table = table_read(content=content)
        if dry_run:
            report = rows_check(table=table, importer=importer)
        else:
            with transaction.atomic():
                report = rows_check(table=table, importer=importer)
                if report.ok:
                    ids = _learners_create(report.learners)
                    report.created = len(ids)
                    transaction.on_commit(partial(invitations_schedule, user_ids=ids), robust=True)
                    audit_record(
                        actor=importer,
                        action=AuditAction.LEARNERS_IMPORTED,
                        target_repr=_("%(count)d learners") % {"count": len(ids)},
                        details={"created": len(ids), "first_id": ids[0], "last_id": ids[-1]},
                    )
    except ImportRefused as refused:
        report = ImportReport(refused=refused.messages)
    except IntegrityError:
        # Someone registered one of these emails between the check and the insert.
        report = ImportReport(
            refused=[
                _(
                    "An account was created meanwhile with one of these emails. "
                    "Run the import again."
                )
            ]
        )
    report.dry_run = dry_run
    report.elapsed = time.monotonic() - started
    if report.created:
        logger.info(
            "learner import: %s created %d learners in %.1f s",
            importer.email if importer else "operator",
            report.created,
            report.elapsed,
        )
    return report


# Scope and export ------------------------------------------------------------------------------
# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def learner_export_lines(*, queryset: QuerySet[User]) -> Iterator[str]:
    """CSV lines (UTF-8 BOM first, so Excel reads Vietnamese) for a streaming response."""
    # The response is iterated after the view returns: keep the requester's language.
    return _export_lines(queryset=queryset, language=translation.get_language())


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
            home, workplace = person.home_unit, person.workplace_unit
            joined = timezone.localtime(person.date_joined).strftime("%Y-%m-%d %H:%M")
            yield writer.writerow(
                [
                    cell_safe(value)
                    for value in (
                        person.full_name,
                        person.email,
                        person.phone,
                        str(person.get_audience_group_display()) if person.audience_group else "",
                        home.code if home else "",
                        home.name if home else "",
                        workplace.code if workplace else "",
                        workplace.name if workplace else "",
                        joined,
                    )
                ]
            )
