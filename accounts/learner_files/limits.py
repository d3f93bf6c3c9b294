"""What a learner file may hold, and the refusals that name each limit.

A file over a limit is refused as a whole, with a message for the person who uploaded it that
says which limit (and which row or cell) and what to do.
"""

from django.conf import settings
from django.utils.translation import gettext as _

MAX_FILE_BYTES = settings.LEARNER_FILE_MAX_BYTES
# Learner rows, the header and blank rows left out.
MAX_ROWS = 50_000
# Rows scanned, blank ones included: a full import (50,000 learners) with room for notes and gaps.
MAX_ROWS_READ = getattr(settings, "LEARNER_FILE_MAX_ROWS", 60_000)
MAX_COLUMNS = getattr(settings, "LEARNER_FILE_MAX_COLUMNS", 50)
MAX_CELL_CHARS = getattr(settings, "LEARNER_FILE_MAX_CELL_CHARS", 1_000)
MAX_SHEET_BYTES = getattr(settings, "LEARNER_FILE_MAX_SHEET_BYTES", 64 * 2**20)
MAX_SHARED_STRINGS_BYTES = getattr(settings, "LEARNER_FILE_MAX_SHARED_STRINGS_BYTES", 16 * 2**20)
MAX_SHARED_STRINGS = getattr(settings, "LEARNER_FILE_MAX_SHARED_STRINGS", 400_000)
# A CSV record longer than this has a cell or a column over the limits (quotes doubled).
MAX_RECORD_CHARS = (MAX_COLUMNS + 1) * (2 * MAX_CELL_CHARS + 3)


class ImportRefused(Exception):
    """The file as a whole cannot be read: no row is checked."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


def file_too_large() -> ImportRefused:
    return ImportRefused(
        _("The file is larger than %(size)d MB. Split it into smaller files.")
        % {"size": MAX_FILE_BYTES // (1024 * 1024)}
    )


def too_many_learners() -> ImportRefused:
    return ImportRefused(
        _(
            "The file has more than %(max)s learner rows. "
            "Split it into files of at most %(max)s rows."
        )
        % {"max": f"{MAX_ROWS:,}"}
    )


def unreadable() -> ImportRefused:
    return ImportRefused(
        _("The Excel workbook could not be read. Save it again as .xlsx or as CSV UTF-8.")
    )


def too_many_rows() -> ImportRefused:
    return ImportRefused(
        _(
            "The file has more than %(max)s rows, counting empty ones. Delete the empty rows "
            "below the list, or split it into smaller files."
        )
        % {"max": f"{MAX_ROWS_READ:,}"}
    )


def too_many_columns(row: int) -> ImportRefused:
    return ImportRefused(
        _(
            "Row %(row)s has more than %(max)s columns. Keep only the learner columns, delete "
            "the others (empty ones on the right too) and upload the file again."
        )
        % {"row": row, "max": MAX_COLUMNS}
    )


def cell_too_long(cell: str | None = None) -> ImportRefused:
    if cell is None:
        message = _(
            "The file has a cell of more than %(max)s characters. No learner detail is that "
            "long: correct it and upload the file again."
        )
    else:
        message = _(
            "Cell %(cell)s has more than %(max)s characters. No learner detail is that long: "
            "correct it and upload the file again."
        )
    return ImportRefused(message % {"cell": cell, "max": f"{MAX_CELL_CHARS:,}"})


def cell_damaged(cell: str) -> ImportRefused:
    return ImportRefused(
        _(
            "Cell %(cell)s could not be read: the workbook is damaged there. Type the cell "
            "again in Excel, save the file and upload it again."
        )
        % {"cell": cell}
    )


def part_too_large(limit: int) -> ImportRefused:
    return ImportRefused(
        _(
            "The workbook holds more than %(size)s MB of data once unpacked. Split it into "
            "smaller files, or delete unused rows, columns and formatting."
        )
        % {"size": limit // 2**20}
    )


def too_many_texts() -> ImportRefused:
    return ImportRefused(
        _("The workbook has more than %(max)s different texts. Split it into smaller files.")
        % {"max": f"{MAX_SHARED_STRINGS:,}"}
    )


def column_letters(column: int) -> str:
    """1 -> 'A', 27 -> 'AA': columns named as the spreadsheet program names them."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def row_limits_check(cells: list[str], row: int) -> None:
    """The limits for a row read by a reader that does not check them as it goes (CSV)."""
    if row > MAX_ROWS_READ:
        raise too_many_rows()
    if len(cells) > MAX_COLUMNS:
        raise too_many_columns(row)
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL_CHARS:
            raise cell_too_long(f"{column_letters(column)}{row}")
