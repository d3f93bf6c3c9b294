"""The columns of a learner file: headings and their aliases, audience-group names, and the
matching of a file's header row to the columns."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import AudienceGroup
from .limits import ImportRefused

# A value or heading quoted back in a report is cut here: a cell may hold 1,000 characters.
SHOWN_CHARS = 100


def text_shorten(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def heading_fold(text: str) -> str:
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
    folded = {heading_fold(key), heading_fold(heading), *(heading_fold(a) for a in aliases)}
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
    heading_fold(alias): group for group, aliases in AUDIENCE_ALIASES.items() for alias in aliases
}


def columns_match(headings: list[str]) -> dict[str, int]:
    """Column key -> position; unknown, repeated or missing headings refuse the file."""
    positions: dict[str, int] = {}
    problems: list[str] = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        column = COLUMN_BY_ALIAS.get(heading_fold(heading))
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
