"""The first worksheet of an Excel workbook (.xlsx) as rows of text, in bounded memory and time.

Standard library only: zipfile streams each part and ElementTree's expat parser is fed 64 KB at a
time with a target that keeps no tree, so every limit is checked while the data arrives and a
file over one is refused without reading on. No styles are read: numbers come back as typed
("912345678", "0.5"), dates as Excel stores them.

Expat never fetches external entities and stops entity expansion past a fixed amplification; a
document type declaration is refused outright anyway, as no workbook part has one.
"""

import io
import math
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError, XMLParser

from .limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS_READ,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEET_BYTES,
    cell_damaged,
    cell_too_long,
    column_letters,
    part_too_large,
    too_many_columns,
    too_many_rows,
    too_many_texts,
    unreadable,
)

# workbook.xml and its relationships: a few KB in any real workbook.
MAX_SMALL_PART_BYTES = 2**20
MAX_SMALL_PART_ELEMENTS = 10_000
# Every zip entry costs a ZipInfo object when the archive is opened; a workbook has a few dozen.
MAX_ZIP_ENTRIES = 1_000
# Expat holds a tag or comment whole until it ends: this much input without an event refuses.
MAX_STALL_BYTES = 2**20
CHUNK_BYTES = 64 * 2**10

READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
    ParseError,
)
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
FIRST_SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
CELL_REF = re.compile(r"([A-Za-z]+)[0-9]+")
DIGITS = re.compile(r"[0-9]{1,9}")
INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
BOOLEANS = {"1": "TRUE", "0": "FALSE"}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _number_text(text: str) -> str | None:
    text = text.strip()
    if INTEGER.fullmatch(text):
        return str(int(text))
    if DECIMAL.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return str(int(number)) if number.is_integer() else repr(number)
    return None


class _Target:
    """Receives the parser's events; `events` tells the feeder that expat is making progress."""

    def __init__(self):
        self.events = 0
        self.done = False

    def doctype(self, name, pubid, system):
        raise unreadable()

    def close(self):
        return None


class _Elements(_Target):
    """The attributes of the elements with the given local names, in document order."""

    def __init__(self, *names: str, last: str = ""):
        super().__init__()
        self.names, self.last = names, last
        self.found: list[tuple[str, dict[str, str]]] = []

    def start(self, tag, attrib):
        self.events += 1
        name = _local(tag)
        if name in self.names:
            if len(self.found) >= MAX_SMALL_PART_ELEMENTS:
                raise unreadable()
            self.found.append((name, attrib))

    def end(self, tag):
        self.events += 1
        if self.last and _local(tag) == self.last:
            self.done = True

    def data(self, text):
        self.events += 1


class _Text(_Target):
    """Gathers the text of one cell at a time into `parts`, refusing it past the cell limit."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] | None = None
        self.length = 0
        self.collect = False
        self.phonetic = False

    def data(self, text):
        self.events += 1
        if self.collect:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS:
                raise cell_too_long(self._reference())
            self.parts.append(text)

    def _reference(self) -> str | None:
        return None


class _SharedStrings(_Text):
    """Each <si>: its <t> text, rich-text runs joined, phonetic guides (<rPh>) left out."""

    def __init__(self):
        super().__init__()
        self.strings: list[str] = []

    def start(self, tag, attrib):
        self.events += 1
        name = _local(tag)
        if name == "si":
            self.parts, self.length = [], 0
        elif name == "t":
            self.collect = self.parts is not None and not self.phonetic
        elif name == "rPh":
            self.phonetic = True

    def end(self, tag):
        self.events += 1
        name = _local(tag)
        if name == "t":
            self.collect = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "si" and self.parts is not None:
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise too_many_texts()
            self.strings.append("".join(self.parts))
            self.parts = None


class _Sheet(_Text):
    """Rows of <sheetData>, each cell placed by its reference; `rows` is emptied by the reader."""

    def __init__(self, strings: list[str]):
        super().__init__()
        self.strings = strings
        self.rows: list[tuple[int, list[str]]] = []
        self.row = 0
        self.cells: list[str] | None = None
        self.column = 0
        self.kind = ""
        self.inline = False

    def start(self, tag, attrib):
        self.events += 1
        name = _local(tag)
        if name == "c" and self.cells is not None:
            self._cell_start(attrib)
        elif name == "row":
            self._row_start(attrib)
        elif self.parts is None:
            return
        elif name == "v":
            self.collect = self.kind != "inlineStr"
        elif name == "is":
            self.inline = True
        elif name == "t":
            self.collect = self.inline and not self.phonetic
        elif name == "rPh":
            self.phonetic = True

    def _row_start(self, attrib):
        number = attrib.get("r")
        if number is None:
            row = self.row + 1
        elif DIGITS.fullmatch(number):
            row = int(number)
        else:
            raise too_many_rows() if number.isdigit() else unreadable()
        if row <= self.row:
            raise unreadable()
        if row > MAX_ROWS_READ:
            raise too_many_rows()
        self.row, self.cells, self.column = row, [], 0

    def _cell_start(self, attrib):
        reference = attrib.get("r")
        if reference is None:
            column = self.column + 1
        else:
            found = CELL_REF.fullmatch(reference)
            if found is None:
                raise unreadable()
            letters = found.group(1).upper()
            if len(letters) > len(column_letters(MAX_COLUMNS)):
                raise too_many_columns(self.row)
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - ord("A") + 1
        if column <= self.column:
            raise unreadable()
        if column > MAX_COLUMNS:
            raise too_many_columns(self.row)
        self.column, self.kind = column, attrib.get("t", "n")
        self.parts, self.length = [], 0

    def end(self, tag):
        self.events += 1
        name = _local(tag)
        if name in ("v", "t"):
            self.collect = False
        elif name == "is":
            self.inline = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "c" and self.parts is not None:
            value = self._value("".join(self.parts))
            self.cells.extend([""] * (self.column - 1 - len(self.cells)))
            self.cells.append(value)
            self.parts = None
        elif name == "row" and self.cells is not None:
            self.rows.append((self.row, self.cells))
            self.cells = None
        elif name == "sheetData":
            self.done = True

    def _reference(self) -> str:
        return f"{column_letters(self.column)}{self.row}"

    def _value(self, text: str) -> str:
        kind = self.kind
        if kind in ("inlineStr", "str", "e", "d"):
            return text
        if not text.strip():
            return ""
        if kind == "s":
            index = text.strip()
            if DIGITS.fullmatch(index) and int(index) < len(self.strings):
                return self.strings[int(index)]
        elif kind == "n":
            number = _number_text(text)
            if number is not None:
                return number
        elif kind == "b" and text.strip() in BOOLEANS:
            return BOOLEANS[text.strip()]
        raise cell_damaged(self._reference())


def _part_feed(archive: zipfile.ZipFile, name: str, limit: int, target: _Target) -> Iterator[None]:
    """Feeds one part to the target chunk by chunk, pausing after each for the caller."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise unreadable() from None
    if info.file_size > limit:
        raise part_too_large(limit) if limit > MAX_SMALL_PART_BYTES else unreadable()
    # bzip2 and lzma streams are inflated without an output bound, a few KB into gigabytes.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise unreadable()
    parser = XMLParser(target=target)
    stalled = 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            events = target.events
            parser.feed(chunk)
            stalled = 0 if target.events != events else stalled + len(chunk)
            if stalled > MAX_STALL_BYTES:
                raise unreadable()
            yield
            if target.done:
                return
    parser.close()
    yield


def _part_read(archive: zipfile.ZipFile, name: str, limit: int, target: _Target) -> None:
    for _pause in _part_feed(archive, name, limit, target):
        pass


def _part_path(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _parts_locate(archive: zipfile.ZipFile) -> tuple[str | None, str | None]:
    """The first worksheet and the shared strings, as the workbook's relationships name them."""
    names = set(archive.namelist())
    sheet = shared = None
    if WORKBOOK in names and WORKBOOK_RELS in names:
        relationships = _Elements("Relationship")
        _part_read(archive, WORKBOOK_RELS, MAX_SMALL_PART_BYTES, relationships)
        targets = {
            attrib.get("Id"): (attrib.get("Type", ""), _part_path(attrib.get("Target", "")))
            for _name, attrib in relationships.found
            if attrib.get("TargetMode") != "External"
        }
        sheets = _Elements("sheet", last="sheets")
        _part_read(archive, WORKBOOK, MAX_SMALL_PART_BYTES, sheets)
        for _name, attrib in sheets.found:
            relation = next((v for k, v in attrib.items() if _local(k) == "id"), None)
            kind, path = targets.get(relation, ("", ""))
            if kind.endswith("/worksheet"):
                sheet = path
                break
        shared = next(
            (path for kind, path in targets.values() if kind.endswith("/sharedStrings")), None
        )
    elif WORKBOOK not in names and FIRST_SHEET not in names:
        raise unreadable()
    if sheet is None and FIRST_SHEET in names:
        sheet = FIRST_SHEET
    if shared is None and SHARED_STRINGS in names:
        shared = SHARED_STRINGS
    return sheet, shared


def _sheet_rows(archive: zipfile.ZipFile, name: str, strings: list[str]) -> Iterator[list[str]]:
    target = _Sheet(strings)
    last = 0
    for _pause in _part_feed(archive, name, MAX_SHEET_BYTES, target):
        for row, cells in target.rows:
            for _blank in range(row - last - 1):
                yield []
            yield cells
            last = row
        target.rows.clear()


def xlsx_rows(content: bytes) -> Iterator[list[str]]:
    """The rows of the workbook's first worksheet as lists of text, empty rows as [].

    Raises ImportRefused, with a message for the person who uploaded it, for a file over a
    limit or one that is damaged or not a workbook.
    """
    try:
        if content.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
            raise unreadable()
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheet, shared = _parts_locate(archive)
            if sheet is None:
                return
            strings = _SharedStrings()
            if shared is not None:
                _part_read(archive, shared, MAX_SHARED_STRINGS_BYTES, strings)
            yield from _sheet_rows(archive, sheet, strings.strings)
    except READ_ERRORS as error:
        raise unreadable() from error
