"""A learner file, CSV or XLSX, read into a header and rows of tidied text within the limits.

CSV text is decoded by its BOM, then as UTF-8, then as Windows-1258; the separator (comma,
semicolon or tab) is the one the first line uses most. Workbooks are read by `workbook`.
"""

import codecs
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .limits import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_RECORD_CHARS,
    MAX_ROWS,
    MAX_ROWS_READ,
    ImportRefused,
    cell_too_long,
    file_too_large,
    row_limits_check,
    too_many_columns,
    too_many_learners,
)
from .workbook import xlsx_rows

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Whitespace, NULs and BOM bytes only; a match copies nothing, unlike bytes.strip() on a zip.
BLANK_FILE = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf\xff\xfe]*")


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
            if end - self.row_start > MAX_RECORD_CHARS:
                raise self._refusal()
            yield self.text[start:end]

    def row_done(self) -> None:
        self.row += 1
        self.row_start = None

    def _refusal(self) -> ImportRefused:
        end = self.row_start + MAX_RECORD_CHARS
        if self.text.count(self.delimiter, self.row_start, end) >= MAX_COLUMNS:
            return too_many_columns(self.row)
        return cell_too_long()


def _first_line(text: str) -> str:
    """The first line that is not blank, cut to the longest acceptable row."""
    for start, end in itertools.islice(_line_spans(text), MAX_ROWS_READ):
        line = text[start : min(end, start + MAX_RECORD_CHARS)]
        if line.strip():
            return line
    return ""


def csv_rows(content: bytes) -> Iterator[list[str]]:
    text = _text_decode(content)
    first_line = _first_line(text)
    # Excel's "Unicode text" is tab-separated and some locales save with semicolons.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    lines = _CsvLines(text, delimiter)
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            row_limits_check(cells, number)
            lines.row_done()
            yield cells
    except csv.Error as error:
        raise ImportRefused(
            _("The CSV file could not be read. Save it again as CSV UTF-8 and upload it again.")
        ) from error


def _source_open(content: bytes) -> tuple[Iterator[list[str]], bool]:
    """The rows of the file as its kind is read, and whether it is a workbook."""
    if len(content) > MAX_FILE_BYTES:
        raise file_too_large()
    if BLANK_FILE.fullmatch(content):
        raise ImportRefused(_("The file is empty."))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _("Old Excel files (.xls) are not supported. Save the file as .xlsx or as CSV UTF-8.")
        )
    is_workbook = content.startswith(b"PK\x03\x04") and zipfile.is_zipfile(io.BytesIO(content))
    return (xlsx_rows(content) if is_workbook else csv_rows(content)), is_workbook


def table_read(*, content: bytes) -> Table:
    """Header and data rows of a CSV or XLSX file; stops as soon as there are too many rows."""
    source, is_workbook = _source_open(content)
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
            raise too_many_learners()
        rows.append((number, cells))
    if not headings:
        raise ImportRefused(_("The file is empty."))
    if not rows:
        raise ImportRefused(_("The file has a header row but no learners."))
    return Table(header_row, headings, rows)
